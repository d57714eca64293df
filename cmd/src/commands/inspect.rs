//! `skiff inspect`: containers in docker's JSON shape, falling back to
//! images. Also hosts the small Go-template subset (`{{.A.B}}`,
//! `{{json .A}}`, `{{index .A "k"}}`) the container commands' `--format` use.

use anyhow::anyhow;
use clap::Args as ClapArgs;
use serde_json::Value;
use skiff_runtime::{state, Layout};

use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Format output using a Go template ({{.State.ExitCode}}, {{json .Config}})
    #[arg(short = 'f', long)]
    pub format: Option<String>,
    /// Return JSON for specified type (container, image)
    #[arg(long = "type")]
    pub kind: Option<String>,
    /// Display total file sizes (accepted for compatibility)
    #[arg(short = 's', long)]
    pub size: bool,
    /// Names or IDs of containers or images
    #[arg(required = true, value_name = "NAME|ID")]
    pub names: Vec<String>,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let layout = Layout::new(super::run::absolute_root(&g.root)?);
    let mut out: Vec<Value> = Vec::new();
    let mut code = 0;
    for name in &a.names {
        if a.kind.as_deref() != Some("image") {
            if let Ok(id) = state::resolve(&layout, name) {
                if let Ok(rec) = state::load(&layout, &id) {
                    out.push(skiff_runtime::inspect::to_docker(&layout, &rec));
                    continue;
                }
            }
        }
        if a.kind.as_deref() != Some("container") {
            if let Some(v) = image_json(g, name) {
                out.push(v);
                continue;
            }
        }
        eprintln!("Error: No such object: {name}");
        code = 1;
    }
    print_values(&out, a.format.as_deref())?;
    Ok(code)
}

/// An image's inspect JSON, from the image commands' own inspect.
fn image_json(g: &Globals, name: &str) -> Option<Value> {
    let store = skiff_store::Store::open(&g.root).ok()?;
    let img = store.resolve(name).ok()?;
    super::image_inspect::inspect_image(&store, &img).ok()
}

pub fn print_values(values: &[Value], format: Option<&str>) -> anyhow::Result<()> {
    use std::io::Write;
    match format {
        // docker's 4-space indented array, shared with `image inspect`.
        None | Some("json") | Some("") => super::image_inspect::print_inspect(values, None)?,
        Some(f) => {
            let mut out = std::io::stdout().lock();
            for v in values {
                // A closed pipe (`| head`) is not an error worth a panic.
                if writeln!(out, "{}", render_template(f, v)?).is_err() {
                    break;
                }
            }
        }
    }
    Ok(())
}

/// Render the subset of Go templates docker users write on the command line.
pub fn render_template(tmpl: &str, v: &Value) -> anyhow::Result<String> {
    let mut out = String::new();
    let mut rest = tmpl;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| anyhow!("template: unclosed action in {tmpl:?}"))?;
        let action = after[..end]
            .trim()
            .trim_start_matches('-')
            .trim_end_matches('-')
            .trim();
        out.push_str(&eval(action, v)?);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out.replace("\\t", "\t").replace("\\n", "\n"))
}

fn eval(action: &str, v: &Value) -> anyhow::Result<String> {
    let words: Vec<&str> = action.split_whitespace().collect();
    match words.as_slice() {
        ["json", path] => Ok(serde_json::to_string(&lookup(v, path)?)?),
        ["index", path, key] => {
            let base = lookup(v, path)?;
            let key = key.trim_matches('"');
            Ok(plain(base.get(key).unwrap_or(&Value::Null)))
        }
        ["upper", path] => Ok(plain(&lookup(v, path)?).to_uppercase()),
        ["lower", path] => Ok(plain(&lookup(v, path)?).to_lowercase()),
        [path] => Ok(plain(&lookup(v, path)?)),
        _ => Err(anyhow!("template: unsupported action {{{{{action}}}}}")),
    }
}

fn lookup(v: &Value, path: &str) -> anyhow::Result<Value> {
    if path == "." {
        return Ok(v.clone());
    }
    if !path.starts_with('.') {
        return Err(anyhow!("template: unsupported expression {path}"));
    }
    let mut cur = v;
    for field in path.trim_start_matches('.').split('.') {
        cur = match cur.get(field) {
            Some(x) => x,
            None => return Err(anyhow!("template: can't evaluate field {field} in {path}")),
        };
    }
    Ok(cur.clone())
}

/// Values printed the way Go's text/template prints them.
fn plain(v: &Value) -> String {
    match v {
        Value::Null => "<no value>".into(),
        Value::String(s) => s.clone(),
        Value::Array(a) => format!("[{}]", a.iter().map(plain).collect::<Vec<_>>().join(" ")),
        Value::Object(m) => format!(
            "map[{}]",
            m.iter()
                .map(|(k, v)| format!("{k}:{}", plain(v)))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        other => other.to_string(),
    }
}
