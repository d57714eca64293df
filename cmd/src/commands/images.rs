//! `skiff images` / `skiff image ls`: docker's image table.

use std::collections::HashSet;

use clap::Args as ClapArgs;
use serde_json::json;
use skiff_store::{ImageSummary, Store};

use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Show all images (default hides intermediate images)
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Show digests
    #[arg(long)]
    pub digests: bool,
    /// Filter output based on conditions provided (dangling=true|false, reference=PATTERN)
    #[arg(short = 'f', long = "filter", value_name = "FILTER")]
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
    /// Only images of this repository (REPOSITORY[:TAG])
    #[arg(value_name = "REPOSITORY[:TAG]")]
    pub repository: Option<String>,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let store = Store::open(&g.root)?;
    let mut rows = store.list()?;
    let filters = Filters::parse(&a.filter)?;
    rows.retain(|r| filters.keep(r));
    if let Some(repo) = &a.repository {
        rows.retain(|r| matches_repository(r, repo));
    }

    if a.quiet {
        let mut seen = HashSet::new();
        for r in &rows {
            let id = id_text(r, a.no_trunc);
            if seen.insert(id.clone()) {
                println!("{id}");
            }
        }
        return Ok(0);
    }

    let contexts: Vec<serde_json::Value> = rows.iter().map(|r| context(r, a.no_trunc)).collect();
    match a.format.as_deref() {
        None | Some("table") => print_table(&rows, a.digests, a.no_trunc),
        Some("json") => {
            for c in &contexts {
                println!("{c}");
            }
        }
        Some(t) => print!("{}", render_all(t, &contexts)?),
    }
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

fn print_table(rows: &[ImageSummary], digests: bool, no_trunc: bool) {
    let mut header = vec!["REPOSITORY", "TAG"];
    if digests {
        header.push("DIGEST");
    }
    header.extend(["IMAGE ID", "CREATED", "SIZE"]);
    let mut table: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
    for r in rows {
        let mut row = vec![r.repository.clone(), r.tag.clone()];
        if digests {
            row.push(r.repo_digest.clone().unwrap_or_else(|| "<none>".into()));
        }
        row.push(id_text(r, no_trunc));
        row.push(created_since(r));
        row.push(human_size_prec(r.size as f64, 3));
        table.push(row);
    }
    print!("{}", tabulate(&table));
}

/// docker's tabwriter settings (minwidth 10, padding 3): each column is as
/// wide as its widest cell plus 3, at least 10; the last is not padded.
pub fn tabulate(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(|r| r.len()).max().unwrap_or(0);
    let mut widths = vec![0usize; cols];
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max((c.chars().count() + 3).max(10));
        }
    }
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (i, c) in r.iter().enumerate() {
            if i + 1 == r.len() {
                line.push_str(c);
            } else {
                line.push_str(&format!("{c:<w$}", w = widths[i]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
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

/// go-units' HumanSizeWithPrecision: decimal units, `prec` significant digits.
pub fn human_size_prec(mut size: f64, prec: usize) -> String {
    const UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    let mut i = 0;
    while size >= 1000.0 && i < UNITS.len() - 1 {
        size /= 1000.0;
        i += 1;
    }
    format!("{}{}", fmt_g(size, prec), UNITS[i])
}

/// go-units' HumanSize (4 significant digits), used by `system df`.
pub fn human_size(size: u64) -> String {
    human_size_prec(size as f64, 4)
}

/// Go's `%.{prec}g` for the small positive numbers sizes produce.
fn fmt_g(v: f64, prec: usize) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let exp = v.abs().log10().floor() as i64;
    let decimals = (prec as i64 - 1 - exp).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// go-units' HumanDuration.
pub fn human_duration(secs: u64) -> String {
    let minutes = secs / 60;
    let hours = (secs as f64 / 3600.0 + 0.5) as u64;
    if secs < 1 {
        "Less than a second".into()
    } else if secs == 1 {
        "1 second".into()
    } else if secs < 60 {
        format!("{secs} seconds")
    } else if minutes == 1 {
        "About a minute".into()
    } else if minutes < 60 {
        format!("{minutes} minutes")
    } else if hours == 1 {
        "About an hour".into()
    } else if hours < 48 {
        format!("{hours} hours")
    } else if hours < 24 * 7 * 2 {
        format!("{} days", hours / 24)
    } else if hours < 24 * 30 * 2 {
        format!("{} weeks", hours / 24 / 7)
    } else if hours < 24 * 365 * 2 {
        format!("{} months", hours / 24 / 30)
    } else {
        format!("{} years", secs / 3600 / 24 / 365)
    }
}

/// Render docker's `--format`: `table TEMPLATE` (with a header and aligned
/// columns) or a bare TEMPLATE, one line per item. `\t` and `\n` written
/// literally on the command line are turned into real tabs and newlines, as
/// docker does.
pub fn render_all(format: &str, items: &[serde_json::Value]) -> anyhow::Result<String> {
    let (table, tmpl) = match format.strip_prefix("table") {
        Some(rest) => (true, rest.trim()),
        None => (false, format),
    };
    let tmpl = tmpl.replace("\\t", "\t").replace("\\n", "\n");
    if !table {
        let mut out = String::new();
        for it in items {
            out.push_str(&render(&tmpl, it)?);
            out.push('\n');
        }
        return Ok(out);
    }
    let mut rows: Vec<Vec<String>> = vec![header(&tmpl).split('\t').map(str::to_string).collect()];
    for it in items {
        rows.push(render(&tmpl, it)?.split('\t').map(str::to_string).collect());
    }
    Ok(tabulate(&rows))
}

/// The header docker prints for a table template: each `{{.Field}}` becomes
/// its column title.
fn header(tmpl: &str) -> String {
    let mut out = String::new();
    let mut rest = tmpl;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find("}}") else {
            break;
        };
        let action = rest[start + 2..start + end].trim();
        let field = action
            .trim_start_matches("json")
            .trim()
            .trim_start_matches('.');
        out.push_str(&match field {
            "ID" => "IMAGE ID".to_string(),
            "CreatedSince" => "CREATED".to_string(),
            "CreatedAt" => "CREATED AT".to_string(),
            f => {
                let mut h = String::new();
                for (i, c) in f.chars().enumerate() {
                    if c.is_ascii_uppercase() && i > 0 {
                        h.push(' ');
                    }
                    h.push(c.to_ascii_uppercase());
                }
                h
            }
        });
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    out
}

/// A small subset of Go templates: `{{.A.B}}`, `{{json .}}`, `{{json .A}}`.
pub fn render(tmpl: &str, v: &serde_json::Value) -> anyhow::Result<String> {
    let mut out = String::new();
    let mut rest = tmpl;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").ok_or_else(|| {
            anyhow::anyhow!("template parsing error: unclosed action in {tmpl:?}")
        })?;
        let action = rest[start + 2..start + end].trim();
        let (json, path) = match action.strip_prefix("json") {
            Some(p) => (true, p.trim()),
            None => (false, action),
        };
        let path = path.strip_prefix('.').ok_or_else(|| {
            anyhow::anyhow!("template: unsupported action {{{{{action}}}}} (supported: {{{{.Field}}}}, {{{{json .}}}})")
        })?;
        let mut cur = v;
        for part in path.split('.').filter(|p| !p.is_empty()) {
            cur = cur.get(part).ok_or_else(|| {
                anyhow::anyhow!("template: can't evaluate field {part} in {{{{{action}}}}}")
            })?;
        }
        if json {
            out.push_str(&serde_json::to_string(cur)?);
        } else {
            out.push_str(&go_display(cur));
        }
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// How Go's text/template prints a value.
fn go_display(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "<no value>".into(),
        Value::String(s) => s.clone(),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(go_display).collect::<Vec<_>>().join(" ")
        ),
        Value::Object(m) => format!(
            "map[{}]",
            m.iter()
                .map(|(k, v)| format!("{k}:{}", go_display(v)))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_like_docker() {
        assert_eq!(human_size_prec(4261550.0, 3), "4.26MB");
        assert_eq!(human_size_prec(123.0, 3), "123B");
        assert_eq!(human_size_prec(1000.0, 3), "1kB");
        assert_eq!(human_size_prec(0.0, 3), "0B");
        assert_eq!(human_size(1_234_567), "1.235MB");
    }

    #[test]
    fn templates() {
        let v = json!({"Repository": "busybox", "Tag": "latest", "Config": {"Cmd": ["sh"]}});
        assert_eq!(
            render("{{.Repository}}:{{.Tag}}", &v).unwrap(),
            "busybox:latest"
        );
        assert_eq!(render("{{json .Config.Cmd}}", &v).unwrap(), r#"["sh"]"#);
        assert_eq!(render("{{.Config.Cmd}}", &v).unwrap(), "[sh]");
        assert!(render("{{.Nope}}", &v).is_err());
        let t = render_all("table {{.Repository}}\\t{{.Tag}}", &[v]).unwrap();
        assert!(t.starts_with("REPOSITORY"), "{t}");
    }

    #[test]
    fn durations_like_docker() {
        assert_eq!(human_duration(0), "Less than a second");
        assert_eq!(human_duration(90), "About a minute");
        assert_eq!(human_duration(3 * 86400), "3 days");
    }
}
