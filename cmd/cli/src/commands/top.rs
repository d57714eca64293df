//! `skiff top`: the container's processes (skiff-runtime's `top` reads
//! them), in ps's columns.

use clap::Args as ClapArgs;
use skiff_runtime::{state, top};

use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Container name or ID
    pub container: String,
    /// ps options (not supported: skiff reads /proc itself, the columns are fixed)
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub ps_options: Vec<String>,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    if !a.ps_options.is_empty() {
        return Err(crate::exit::unsupported(
            &format!("ps options ({})", a.ps_options.join(" ")),
            "skiff reads /proc itself and shows fixed columns",
        ));
    }
    let layout = g.layout()?;
    let id = state::resolve(&layout, &a.container)?;
    let procs = top::processes(&layout, &id)?;
    // docker runs `ps -ef` on the host: its columns (the runtime names the
    // users from the host's passwd), STIME as HH:MM within a day (else MonDD).
    let rows: Vec<[String; 8]> = procs
        .into_iter()
        .map(|p| {
            let t = p.cpu_secs;
            [
                p.user,
                p.pid.to_string(),
                p.ppid.to_string(),
                "0".to_string(),
                start_time(p.start_secs),
                p.tty,
                format!("{:02}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60),
                p.cmd,
            ]
        })
        .collect();
    let titles = ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"].map(String::from);
    for row in std::iter::once(&titles).chain(&rows) {
        let (cmd, cells) = (&row[7], &row[..7]);
        let line: String = cells.iter().map(|c| format!("{c:<20}")).collect();
        say!("{line}{cmd}");
    }
    Ok(0)
}

fn start_time(secs: u64) -> String {
    use skiff_runtime::chrono::{DateTime, Local, Utc};
    let Some(t) = DateTime::<Utc>::from_timestamp(secs as i64, 0) else {
        return "?".into();
    };
    let t = t.with_timezone(&Local);
    if Local::now().signed_duration_since(t).num_hours() < 24 {
        t.format("%H:%M").to_string()
    } else {
        t.format("%b%d").to_string()
    }
}
