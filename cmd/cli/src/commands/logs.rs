//! `skiff logs`: a detached container's output from its json-file log.

use std::io::Write;

use anyhow::anyhow;
use clap::Args as ClapArgs;
use skiff_runtime::follow;
use skiff_runtime::logs::{self, Entry, ReadOptions};
use skiff_runtime::state;

use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Follow log output
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// Number of lines to show from the end of the logs ("all" for everything)
    #[arg(short = 'n', long, default_value = "all")]
    pub tail: String,
    /// Show timestamps
    #[arg(short = 't', long)]
    pub timestamps: bool,
    /// Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m)
    #[arg(long)]
    pub since: Option<String>,
    /// Show logs before a timestamp or relative time
    #[arg(long)]
    pub until: Option<String>,
    /// Show extra details (the attributes --log-opt adds; skiff logs carry
    /// none, so the output is the same)
    #[arg(long)]
    pub details: bool,
    /// Container name or ID
    pub container: String,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let layout = g.layout()?;
    let id = state::resolve(&layout, &a.container)?;
    let tail = match a.tail.as_str() {
        "all" | "-1" => None,
        n => Some(n.parse::<usize>().map_err(|_| {
            anyhow!("invalid value \"{n}\" for --tail: expected a number or \"all\"")
        })?),
    };
    let time = |flag: &str, v: &Option<String>| -> anyhow::Result<_> {
        match v {
            None => Ok(None),
            Some(s) => logs::parse_time(s).map(Some).ok_or_else(|| {
                anyhow!(
                    "invalid value \"{s}\" for {flag}: expected a timestamp or a duration like 10m"
                )
            }),
        }
    };
    let opts = ReadOptions {
        tail,
        since: time("--since", &a.since)?,
        until: time("--until", &a.until)?,
    };
    follow::read_log(&layout, &id, &opts, a.follow, |e| print(e, a.timestamps));
    Ok(0)
}

pub fn print(entries: &[Entry], timestamps: bool) {
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let mut out = stdout.lock();
    let mut err = stderr.lock();
    for e in entries {
        let w: &mut dyn Write = if e.stream == "stderr" {
            &mut err
        } else {
            &mut out
        };
        if timestamps {
            let _ = write!(w, "{} ", e.time);
        }
        let _ = w.write_all(e.log.as_bytes());
        let _ = w.flush();
    }
}
