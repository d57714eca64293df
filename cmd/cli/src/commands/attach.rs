//! `skiff attach`: a detached container's output, live, until it exits,
//! then its exit code; signals to this process go to the container
//! (`--sig-proxy`, on by default as docker's).
//!
//! There is no daemon holding the container's stdio: its monitor writes
//! stdout and stderr to the json-file log, so attach follows that log from
//! its end. Not yet as docker: stdin is never attached (the monitor has no
//! socket to pass it through), so there are no detach keys either, and a
//! TTY container's output arrives as logged, not as a raw terminal.

use std::os::fd::AsRawFd;

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args as ClapArgs};
use skiff_runtime::logs::ReadOptions;
use skiff_runtime::{follow, sig, state};

use crate::exit::{unsupported, warn, Failure};
use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Do not attach STDIN (skiff never attaches it yet)
    #[arg(long = "no-stdin")]
    pub no_stdin: bool,
    /// Proxy all received signals to the process
    #[arg(
        long = "sig-proxy",
        action = ArgAction::Set,
        num_args = 0..=1,
        require_equals = true,
        default_value = "true",
        default_missing_value = "true",
        value_parser = BoolishValueParser::new()
    )]
    pub sig_proxy: bool,
    /// Override the key sequence for detaching a container
    #[arg(long = "detach-keys", value_name = "KEYS")]
    pub detach_keys: Option<String>,
    /// Container name or ID
    #[arg(value_name = "CONTAINER")]
    pub container: String,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    if a.detach_keys.is_some() {
        return Err(unsupported(
            "--detach-keys",
            "skiff attach does not read stdin, so there is nothing to detach with (Ctrl-C ends attach only with --sig-proxy=false)",
        ));
    }
    let layout = g.layout()?;
    let id = state::resolve(&layout, &a.container)?;
    let rec = state::load(&layout, &id)?;
    if !rec.is_running() {
        return Err(Failure::new(
            1,
            "You cannot attach to a stopped container, start it first",
        ));
    }
    if rec.status_word() == "paused" {
        return Err(Failure::new(
            1,
            "You cannot attach to a paused container, unpause it first",
        ));
    }
    if rec.config.open_stdin && !a.no_stdin {
        warn("skiff attach: the container's stdin is not attached (not supported yet); its output follows");
    }
    // Blocked and read from a signalfd between log reads, so none of them
    // ends attach itself while it is proxied.
    let signals = a
        .sig_proxy
        .then(|| sig::block_to_fd(sig::FORWARDED))
        .flatten();
    let pid = rec.state.pid;
    // From the log's end: attach shows what the container writes from now.
    let opts = ReadOptions {
        tail: Some(0),
        since: None,
        until: None,
    };
    follow::read_log(&layout, &id, &opts, true, |entries| {
        super::logs::print(entries, false);
        if let Some(fd) = &signals {
            for s in sig::drain(fd.as_raw_fd()) {
                if s != libc::SIGCHLD {
                    sig::send(pid, s);
                }
            }
        }
    });
    // The container's code, as docker's attach exits with; a container
    // removed as it exited (--rm) has none left to read.
    Ok(state::load(&layout, &id)
        .map(|r| r.state.exit_code)
        .unwrap_or(0))
}
