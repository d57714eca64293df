//! `skiff attach`: a detached container's output, live, until it exits,
//! then its exit code; signals to this process go to the container
//! (`--sig-proxy`, on by default as docker's). skiff-runtime's `attach`
//! checks the container and follows its log; this file parses the flags,
//! prints the entries and words the refusals as docker does.
//!
//! Not yet as docker: stdin is never attached (the monitor has no socket
//! to pass it through), so there are no detach keys either, and a TTY
//! container's output arrives as logged, not as a raw terminal.

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args as ClapArgs};
use skiff_runtime::attach::{self, AttachError, AttachOptions};

use crate::exit::{unsupported, warn, Failure};
use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Do not attach STDIN (skiff never attaches it yet)
    #[arg(long)]
    pub no_stdin: bool,
    /// Proxy all received signals to the process
    #[arg(
        long,
        action = ArgAction::Set,
        num_args = 0..=1,
        require_equals = true,
        default_value = "true",
        default_missing_value = "true",
        value_parser = BoolishValueParser::new()
    )]
    pub sig_proxy: bool,
    /// Override the key sequence for detaching a container
    #[arg(long, value_name = "KEYS")]
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
    let opts = AttachOptions {
        sig_proxy: a.sig_proxy,
        no_stdin: a.no_stdin,
    };
    let attachment = attach::open(&layout, &a.container, opts).map_err(|e| match e {
        AttachError::NotRunning(_) => Failure::new(
            1,
            "You cannot attach to a stopped container, start it first",
        ),
        AttachError::Paused(_) => Failure::new(
            1,
            "You cannot attach to a paused container, unpause it first",
        ),
        AttachError::Runtime(e) => anyhow::Error::new(e),
    })?;
    if attachment.stdin_dropped {
        warn("skiff attach: the container's stdin is not attached (not supported yet); its output follows");
    }
    Ok(attachment.follow(|entries| super::logs::print(entries, false)))
}
