//! `skiff container prune`: remove every stopped container.

use anyhow::bail;
use clap::Args as ClapArgs;
use skiff_runtime::state::Record;
use skiff_runtime::usage;

use super::prune_shared::{go_ahead, print_pruned};
use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Provide filter values (label=KEY[=VALUE], label!=KEY[=VALUE], until=TIME)
    #[arg(long)]
    pub filter: Vec<String>,
}

/// docker's prune filters: a container is pruned only if it passes all.
enum Filter {
    Label {
        key: String,
        value: Option<String>,
        want: bool,
    },
    Until(skiff_runtime::chrono::DateTime<skiff_runtime::chrono::Utc>),
}

impl Filter {
    fn parse(f: &str) -> anyhow::Result<Filter> {
        let Some((k, v)) = f.split_once('=') else {
            bail!("--filter {f:?}: bad format of filter (expected name=value)");
        };
        let label = |want: bool| {
            let (key, value) = match v.split_once('=') {
                Some((k, v)) => (k.to_string(), Some(v.to_string())),
                None => (v.to_string(), None),
            };
            Filter::Label { key, value, want }
        };
        Ok(match k {
            "label" => label(true),
            "label!" => label(false),
            "until" => Filter::Until(skiff_runtime::logs::parse_time(v).ok_or_else(|| {
                anyhow::anyhow!("--filter until={v}: expected a timestamp or a duration like 10m")
            })?),
            _ => bail!("--filter {f:?}: invalid filter {k:?} (container prune supports label, label! and until)"),
        })
    }

    fn passes(&self, r: &Record) -> bool {
        match self {
            Filter::Label { key, value, want } => {
                r.config.has_label(key, value.as_deref()) == *want
            }
            Filter::Until(t) => {
                skiff_runtime::chrono::DateTime::parse_from_rfc3339(&r.config.created)
                    .is_ok_and(|c| c < *t)
            }
        }
    }
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let filters = a
        .filter
        .iter()
        .map(|f| Filter::parse(f))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if !go_ahead(a.force, "WARNING! This will remove all stopped containers.")? {
        return Ok(0);
    }
    let layout = g.layout()?;
    let keep = |r: &Record| !filters.iter().all(|f| f.passes(r));
    let pruned = usage::prune_containers(&layout, keep, false)?;
    print_pruned("Deleted Containers:", &pruned);
    Ok(0)
}
