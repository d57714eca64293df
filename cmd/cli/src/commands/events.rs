//! `skiff events` (docker events): the store's event log (see skiff-store's
//! `events`), printed in docker's line format or `--format`; `--since`
//! shows past events, and without `--until` it keeps following new ones
//! as docker's stream does (no daemon: it polls the log).

use std::collections::BTreeMap;
use std::time::Duration;

use clap::Args as ClapArgs;
use serde_json::{json, Value};
use skiff_store::chrono::{DateTime, Utc};
use skiff_store::events::{self, Event};

use crate::format::Template;
use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Filter output based on conditions provided (container=, image=, event=, type=)
    #[arg(short = 'f', long, value_name = "FILTER")]
    pub filter: Vec<String>,
    /// Format output using a custom template ('json' or a Go template)
    #[arg(long)]
    pub format: Option<String>,
    /// Show all events created since timestamp
    #[arg(long)]
    pub since: Option<String>,
    /// Stream events until this timestamp
    #[arg(long)]
    pub until: Option<String>,
}

/// docker's time arguments, read as `logs --since` reads them: RFC 3339,
/// Unix seconds (with a fraction), or a duration before now (`10m`).
fn parse_time(flag: &str, s: &str) -> anyhow::Result<i64> {
    skiff_runtime::logs::parse_time(s)
        .and_then(|t| t.timestamp_nanos_opt())
        .ok_or_else(|| bad_time(flag, s))
}

fn bad_time(flag: &str, s: &str) -> anyhow::Error {
    anyhow::anyhow!("invalid value for {flag}: {s:?} (expected an RFC 3339 time, Unix seconds or a duration such as 10m)")
}

/// Filters: values of one key are alternatives, keys must all match.
fn parse_filters(given: &[String]) -> anyhow::Result<BTreeMap<String, Vec<String>>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in given {
        let (k, v) = f
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("bad format of filter (expected name=value): {f}"))?;
        if !["container", "image", "event", "type"].contains(&k) {
            anyhow::bail!("invalid filter '{k}'");
        }
        out.entry(k.to_string()).or_default().push(v.to_string());
    }
    Ok(out)
}

fn matches(e: &Event, filters: &BTreeMap<String, Vec<String>>) -> bool {
    let attr = |k: &str| e.actor.attributes.get(k).map(String::as_str).unwrap_or("");
    filters.iter().all(|(k, vals)| {
        vals.iter().any(|v| match k.as_str() {
            "container" => {
                e.kind == "container" && (e.actor.id.starts_with(v.as_str()) || attr("name") == v)
            }
            "image" => attr("image") == v || attr("name") == v || e.actor.id == *v,
            "event" => e.action == *v,
            "type" => e.kind == *v,
            _ => false,
        })
    })
}

/// docker's JSON for one event (with the legacy `status`/`id`/`from`).
fn value(e: &Event) -> Value {
    let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
    if e.kind == "container" {
        v["status"] = json!(e.action);
        v["id"] = json!(e.actor.id);
        v["from"] = json!(e.actor.attributes.get("image").cloned().unwrap_or_default());
    }
    v
}

/// What templates see: docker's Go field names (`{{.Status}}`, `{{.ID}}`,
/// `{{.From}}`, `{{.TimeNano}}`) beside the JSON keys.
fn template_data(e: &Event) -> Value {
    let mut v = value(e);
    v["Status"] = v["status"].clone();
    v["ID"] = v["id"].clone();
    v["From"] = v["from"].clone();
    v["Scope"] = json!(e.scope);
    v["Time"] = json!(e.time);
    v["TimeNano"] = json!(e.time_nano);
    v
}

/// docker's default line: time, type, action, id, (attributes).
fn line(e: &Event) -> String {
    let t = DateTime::<Utc>::from_timestamp_nanos(e.time_nano);
    let attrs: Vec<String> = e
        .actor
        .attributes
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    format!(
        "{} {} {} {} ({})",
        t.format("%Y-%m-%dT%H:%M:%S%.9fZ"),
        e.kind,
        e.action,
        e.actor.id,
        attrs.join(", ")
    )
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let since = a
        .since
        .as_deref()
        .map(|s| parse_time("--since", s))
        .transpose()?;
    let until = a
        .until
        .as_deref()
        .map(|s| parse_time("--until", s))
        .transpose()?;
    let filters = parse_filters(&a.filter)?;
    let json_lines = a.format.as_deref() == Some("json");
    let tmpl = match a.format.as_deref() {
        None | Some("") | Some("json") => None,
        Some(t) => Some(Template::parse(t)?),
    };
    let now = || Utc::now().timestamp_nanos_opt().unwrap_or(0);
    // Without --since only what happens from now on, as docker.
    let mut last = since.map(|s| s - 1).unwrap_or_else(now);
    loop {
        for e in events::read(&g.root) {
            if e.time_nano <= last || until.is_some_and(|u| e.time_nano > u) {
                continue;
            }
            last = e.time_nano;
            if matches(&e, &filters) {
                match &tmpl {
                    Some(t) => say!("{}", t.render(&template_data(&e))?),
                    None if json_lines => say!("{}", value(&e)),
                    None => say!("{}", line(&e)),
                }
            }
        }
        if until.is_some_and(|u| now() > u) {
            return Ok(0);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
