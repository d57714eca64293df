//! `skiff history`: an image's history entries, newest first, in docker's
//! columns (IMAGE, CREATED, CREATED BY, SIZE, COMMENT). As docker does for
//! a pulled image, only the newest entry carries the image's ID; the
//! others are `<missing>` (skiff keeps no intermediate images).

use clap::Args as ClapArgs;
use serde_json::{json, Value};
use skiff_store::Store;

use super::refused::{daemon, image_error};
use crate::format::{human_duration, human_size_prec, print_list, Columns};
use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
#[command(mut_arg("human", crate::pflag::default_true))]
pub struct Args {
    /// Format output using a custom template ('table', 'table TEMPLATE', 'json' or a Go template)
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Print sizes and dates in human readable format
    #[arg(short = 'H', long)]
    pub human: bool,
    /// Don't truncate output
    #[arg(long)]
    pub no_trunc: bool,
    /// Only show image IDs
    #[arg(short, long)]
    pub quiet: bool,
    /// Image name or ID
    pub image: String,
}

/// One history entry as the engine reports it.
struct Entry {
    id: String,
    created: Option<skiff_store::chrono::DateTime<skiff_store::chrono::Utc>>,
    created_by: String,
    size: u64,
    comment: String,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let store = Store::open(&g.root)?;
    let img = daemon(store.resolve(&a.image).map_err(image_error))?;
    let entries = entries(&store, &img)?;
    let trunc = !a.no_trunc;
    let rows: Vec<Value> = entries.iter().map(|e| row(e, trunc, a.human)).collect();
    let format = match a.format.as_deref() {
        Some(f) if !f.is_empty() && f != "table" => Some(f),
        _ if a.quiet => Some("{{.ID}}"),
        _ => None,
    };
    let columns = Columns {
        default: if a.human {
            "{{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
        } else {
            "{{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
        },
        titles: &[
            ("ID", "IMAGE"),
            ("CreatedSince", "CREATED"),
            ("CreatedAt", "CREATED AT"),
            ("CreatedBy", "CREATED BY"),
        ],
    };
    print_list(format, &columns, &rows)?;
    Ok(0)
}

/// The image's history, newest first, each non-empty entry sized by its
/// layer (an image without history gets one entry per layer).
fn entries(store: &Store, img: &skiff_store::Image) -> anyhow::Result<Vec<Entry>> {
    let cfg = store.image_config(img)?;
    let diff_ids = cfg.rootfs().diff_ids().clone();
    let size_of = |i: usize| {
        diff_ids
            .get(i)
            .and_then(|d| skiff_store::parse_digest(d).ok())
            .and_then(|d| store.layer_size(&d))
            .unwrap_or(0)
    };
    let parse_time = |t: &str| {
        skiff_store::chrono::DateTime::parse_from_rfc3339(t)
            .ok()
            .map(|t| t.to_utc())
    };
    let mut out = Vec::new();
    let mut layer = 0;
    match cfg.history() {
        Some(history) if !history.is_empty() => {
            for h in history {
                let empty = h.empty_layer().unwrap_or(false);
                let size = if empty { 0 } else { size_of(layer) };
                layer += usize::from(!empty);
                out.push(Entry {
                    id: "<missing>".into(),
                    created: h.created().as_deref().and_then(parse_time),
                    created_by: h.created_by().clone().unwrap_or_default(),
                    size,
                    comment: h.comment().clone().unwrap_or_default(),
                });
            }
        }
        _ => {
            let created = cfg.created().as_deref().and_then(parse_time);
            for i in 0..diff_ids.len().max(1) {
                out.push(Entry {
                    id: "<missing>".into(),
                    created,
                    created_by: String::new(),
                    size: size_of(i),
                    comment: String::new(),
                });
            }
        }
    }
    out.reverse();
    if let Some(first) = out.first_mut() {
        first.id = img.id().to_string();
    }
    Ok(out)
}

/// docker's fields for one entry: IDs cut to 12 hex digits and CreatedBy
/// to 45 characters unless `--no-trunc`; sizes and times human unless
/// `-H=false`.
fn row(e: &Entry, trunc: bool, human: bool) -> Value {
    let id = if trunc && e.id.starts_with("sha256:") {
        digest_hex_str(&e.id)[..12].to_string()
    } else {
        e.id.clone()
    };
    let created_at = e
        .created
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| "0001-01-01T00:00:00Z".into());
    // docker shows no age for times before 2000 (reproducible builds set
    // the epoch).
    let since = match e.created {
        Some(t) if t.timestamp() > 946_684_800 => {
            let secs = (skiff_store::chrono::Utc::now() - t).num_seconds().max(0);
            format!("{} ago", human_duration(secs as u64))
        }
        _ => String::new(),
    };
    let created_by = e.created_by.replace('\t', " ");
    let created_by = if trunc && created_by.chars().count() > 45 {
        format!("{}…", created_by.chars().take(44).collect::<String>())
    } else {
        created_by
    };
    json!({
        "ID": id,
        "CreatedSince": if human { since } else { created_at.clone() },
        "CreatedAt": created_at,
        "CreatedBy": created_by,
        "Size": if human { human_size_prec(e.size as f64, 3) } else { e.size.to_string() },
        "Comment": e.comment,
    })
}

fn digest_hex_str(id: &str) -> &str {
    id.strip_prefix("sha256:").unwrap_or(id)
}
