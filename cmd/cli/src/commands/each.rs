//! The shape rm, stop, kill, start, restart, wait (and volume/network rm)
//! share: act on each named object, print what docker prints for a
//! success, report each failure and go on, exit 1 if any failed.

use clap::Args as ClapArgs;
use skiff_runtime::{state, Layout};

use crate::exit::Batch;
use crate::globals::Globals;

/// The containers a command acts on.
#[derive(Debug, Default, Clone, ClapArgs)]
pub struct Containers {
    /// Container names or IDs
    #[arg(required = true, value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

/// Stop-like timing flags shared by `stop` and `restart`.
#[derive(Debug, Default, Clone, ClapArgs)]
pub struct StopArgs {
    /// Seconds to wait before killing the container
    #[arg(
        short = 't',
        long,
        visible_alias = "timeout",
        allow_hyphen_values = true
    )]
    pub time: Option<i64>,
    /// Signal to send to the container
    #[arg(short = 's', long)]
    pub signal: Option<String>,
}

impl StopArgs {
    /// A bad signal name is the user's error, found before any container
    /// is touched.
    pub fn check(&self) -> anyhow::Result<()> {
        match &self.signal {
            Some(s) if skiff_runtime::sig::parse(s).is_none() => {
                Err(anyhow::anyhow!("invalid signal: {s}"))
            }
            _ => Ok(()),
        }
    }
}

/// How the containers are visited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// One after the other (starting containers forks monitors).
    Sequential,
    /// All at once, as docker stops and removes: the work is mostly waiting.
    Parallel,
}

/// Resolve each name to a container id, `act` on it, and print `shown`
/// of the result (the name for most commands, the exit code for `wait`).
pub fn each_container<T: Send>(
    g: &Globals,
    names: &Containers,
    order: Order,
    act: impl Fn(&Layout, &str) -> skiff_runtime::Result<T> + Sync,
    shown: impl Fn(&str, T) -> String,
) -> anyhow::Result<i32> {
    let layout = g.layout()?;
    let one = |name: &String| state::resolve(&layout, name).and_then(|id| act(&layout, &id));
    let results: Vec<Option<skiff_runtime::Result<T>>> = match order {
        Order::Sequential => names.containers.iter().map(|n| Some(one(n))).collect(),
        Order::Parallel => std::thread::scope(|scope| {
            let handles: Vec<_> = names
                .containers
                .iter()
                .map(|n| scope.spawn(|| one(n)))
                .collect();
            handles.into_iter().map(|h| h.join().ok()).collect()
        }),
    };
    Ok(report(&names.containers, results, shown))
}

/// The same for objects that need no resolving (volumes, networks): act on
/// each name in order and print it when that worked.
pub fn each_named<T, E: std::fmt::Display>(
    names: &[String],
    act: impl Fn(&str) -> Result<T, E>,
) -> i32 {
    let results = names.iter().map(|n| Some(act(n)));
    report(names, results, name)
}

/// Print each success as `shown` says, each failure as docker does (a
/// worker that died is a failure too); 1 if anything failed.
fn report<T, E: std::fmt::Display>(
    names: &[String],
    results: impl IntoIterator<Item = Option<Result<T, E>>>,
    shown: impl Fn(&str, T) -> String,
) -> i32 {
    let mut batch = Batch::default();
    for (name, res) in names.iter().zip(results) {
        match res {
            Some(Ok(v)) => say!("{}", shown(name, v)),
            Some(Err(e)) => batch.refused(e),
            None => batch.mark_failed(),
        }
    }
    batch.code()
}

/// What most commands print for a success: the name as given.
pub fn name<T>(name: &str, _: T) -> String {
    name.to_string()
}
