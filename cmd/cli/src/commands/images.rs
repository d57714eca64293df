//! `skiff images` / `skiff image ls`: docker's image table.

use std::collections::HashSet;

use clap::Args as ClapArgs;
use serde_json::json;
use skiff_store::{ImageSummary, Store};

use crate::format::{human_duration, human_size_prec, print_list, Columns};
use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Show all images (skiff keeps no intermediate images: the same list;
    /// with --tree, also the platforms not in the store)
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Show digests
    #[arg(long)]
    pub digests: bool,
    /// Filter output based on conditions provided (dangling=true|false, reference=PATTERN)
    #[arg(short = 'f', long, value_name = "FILTER")]
    pub filter: Vec<String>,
    /// Format output using a custom template: 'table', 'table TEMPLATE', 'json', 'TEMPLATE'
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Don't truncate output
    #[arg(long)]
    pub no_trunc: bool,
    /// Only show image IDs
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// List multi-platform images as a tree (with --all: also the platforms
    /// not in the store)
    #[arg(long)]
    pub tree: bool,
    /// Only images of this repository (REPOSITORY[:TAG])
    #[arg(value_name = "REPOSITORY[:TAG]")]
    pub repository: Option<String>,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let store = Store::open(&g.root)?;
    skiff_core::timing::mark("store opened");
    let mut rows = store.list()?;
    skiff_core::timing::mark("images listed");
    let filters = Filters::parse(&a.filter)?;
    rows.retain(|r| filters.keep(r));
    if let Some(repo) = &a.repository {
        rows.retain(|r| matches_repository(r, repo));
    }

    if a.tree {
        super::images_tree::print(&store, &rows, a.all)?;
        return Ok(0);
    }

    if a.quiet {
        let mut seen = HashSet::new();
        for r in &rows {
            let id = id_text(r, a.no_trunc);
            if seen.insert(id.clone()) {
                say!("{id}");
            }
        }
        return Ok(0);
    }

    let contexts: Vec<serde_json::Value> = rows.iter().map(|r| context(r, a.no_trunc)).collect();
    let columns = Columns {
        default: if a.digests {
            "{{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
        } else {
            "{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
        },
        titles: &[
            ("ID", "IMAGE ID"),
            ("CreatedSince", "CREATED"),
            ("CreatedAt", "CREATED AT"),
        ],
    };
    print_list(a.format.as_deref(), &columns, &contexts)?;
    Ok(0)
}

fn id_text(r: &ImageSummary, no_trunc: bool) -> String {
    if no_trunc {
        r.id.to_string()
    } else {
        r.id.digest()[..12].to_string()
    }
}

/// The fields docker's `--format` templates see.
fn context(r: &ImageSummary, no_trunc: bool) -> serde_json::Value {
    let created_at = r
        .created
        .map(|c| c.format("%Y-%m-%d %H:%M:%S %z UTC").to_string())
        .unwrap_or_default();
    json!({
        "Containers": "N/A",
        "CreatedAt": created_at,
        "CreatedSince": created_since(r),
        "Digest": r.repo_digest.clone().unwrap_or_else(|| "<none>".into()),
        "ID": id_text(r, no_trunc),
        "Repository": r.repository,
        "SharedSize": "N/A",
        "Size": human_size_prec(r.size as f64, 3),
        "Tag": r.tag,
        "UniqueSize": "N/A",
        "VirtualSize": human_size_prec(r.size as f64, 3),
    })
}

fn created_since(r: &ImageSummary) -> String {
    match r.created {
        Some(c) => {
            let secs = (skiff_store::chrono::Utc::now() - c).num_seconds().max(0) as u64;
            format!("{} ago", human_duration(secs))
        }
        None => "N/A".into(),
    }
}

fn matches_repository(r: &ImageSummary, want: &str) -> bool {
    let (repo, tag) = match want.rsplit_once(':') {
        Some((n, t)) if !t.contains('/') => (n, Some(t)),
        _ => (want, None),
    };
    // docker treats the argument as a reference filter: globs allowed.
    let full = skiff_store::normalize_reference(repo)
        .map(|x| x.name())
        .ok();
    let name_ok = glob(repo, &r.repository) || (full.is_some() && r.name == full);
    name_ok && tag.is_none_or(|t| glob(t, &r.tag))
}

struct Filters {
    dangling: Option<bool>,
    reference: Vec<String>,
}

impl Filters {
    fn parse(raw: &[String]) -> anyhow::Result<Filters> {
        let mut f = Filters {
            dangling: None,
            reference: Vec::new(),
        };
        for r in raw {
            let (k, v) = r.split_once('=').ok_or_else(|| {
                anyhow::anyhow!("bad format of filter (expected name=value): {r}")
            })?;
            match k {
                "dangling" => {
                    f.dangling = Some(match v.to_ascii_lowercase().as_str() {
                        "true" | "1" => true,
                        "false" | "0" => false,
                        _ => anyhow::bail!("invalid filter 'dangling={v}'"),
                    })
                }
                "reference" => f.reference.push(v.to_string()),
                _ => anyhow::bail!("invalid filter '{k}'"),
            }
        }
        Ok(f)
    }

    fn keep(&self, r: &ImageSummary) -> bool {
        if let Some(d) = self.dangling {
            if r.dangling != d {
                return false;
            }
        }
        if !self.reference.is_empty() {
            let name = format!("{}:{}", r.repository, r.tag);
            if !self
                .reference
                .iter()
                .any(|p| glob(p, &name) || glob(p, &r.repository))
            {
                return false;
            }
        }
        true
    }
}

/// Shell-style `*` and `?` matching (what docker's reference filter uses).
fn glob(p: &str, s: &str) -> bool {
    let p: Vec<char> = p.chars().collect();
    let s: Vec<char> = s.chars().collect();
    fn go(p: &[char], s: &[char]) -> bool {
        match p.first() {
            None => s.is_empty(),
            Some('*') => (0..=s.len()).any(|i| go(&p[1..], &s[i..])),
            Some('?') => !s.is_empty() && go(&p[1..], &s[1..]),
            Some(c) => s.first() == Some(c) && go(&p[1..], &s[1..]),
        }
    }
    go(&p, &s)
}
