//! `skiff images --tree`: each tag with the platforms under it, as docker's
//! containerd image store shows a multi-platform image (one row per tag,
//! one indented row per platform present; `--all` adds the platforms the
//! index lists but the store does not hold).

use skiff_store::{digest_hex, spelled, Digest, ImageSummary, Platform, Store};

use crate::format::{emit, human_size_prec};

/// One printed row: name column, ID, disk usage, content size.
struct Line(String, String, String, String);

pub fn print(store: &Store, rows: &[ImageSummary], all: bool) -> anyhow::Result<()> {
    let mut lines = vec![Line(
        "IMAGE".into(),
        "ID".into(),
        "DISK USAGE".into(),
        "CONTENT SIZE".into(),
    )];
    for r in rows {
        let name = match r.tag.as_str() {
            "<none>" => format!("{}@{}", r.repository, short(&r.digest)),
            t => format!("{}:{t}", r.repository),
        };
        let entries = store.image_platforms(&r.digest)?;
        let shown: Vec<_> = entries
            .iter()
            .filter(|e| e.platform.is_some() && (all || e.present))
            .collect();
        let mut disk = 0u64;
        let mut content = 0u64;
        let mut children = Vec::new();
        for (i, e) in shown.iter().enumerate() {
            let branch = if i + 1 == shown.len() {
                "└─"
            } else {
                "├─"
            };
            let platform = e.platform.as_ref().map(spelled).unwrap_or_default();
            let (d, c) = match (&e.platform, e.present) {
                (Some(p), true) => sizes(store, &r.digest, p)?,
                _ => (0, 0),
            };
            disk += d;
            content += c;
            children.push(Line(
                format!("{branch} {platform}"),
                short(&e.digest),
                human_size_prec(d as f64, 3),
                human_size_prec(c as f64, 3),
            ));
        }
        lines.push(Line(
            name,
            short(&r.digest),
            human_size_prec(disk as f64, 3),
            human_size_prec(content as f64, 3),
        ));
        lines.extend(children);
        lines.push(Line(
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ));
    }
    let w0 = lines.iter().map(|l| l.0.chars().count()).max().unwrap_or(0);
    let mut out = String::new();
    for l in &lines {
        let row = if l.1.is_empty() {
            String::new()
        } else {
            format!("{:<w0$}   {:<12}   {:>10}   {:>12}", l.0, l.1, l.2, l.3)
        };
        out.push_str(row.trim_end());
        out.push('\n');
    }
    emit(out.trim_end_matches('\n'));
    emit("\n");
    Ok(())
}

/// Unpacked size and compressed content size of one platform of `top`.
fn sizes(store: &Store, top: &Digest, p: &Platform) -> anyhow::Result<(u64, u64)> {
    let img = store.resolve_for(top.as_ref(), p)?;
    let m = &img.manifest;
    let content = m.config().size() + m.layers().iter().map(|l| l.size()).sum::<u64>();
    Ok((store.image_size(&img).unwrap_or(0), content))
}

fn short(digest: &Digest) -> String {
    digest_hex(digest).chars().take(12).collect()
}
