//! `skiff import file|- [REPOSITORY[:TAG]]`: a rootfs tar (plain, gzip or
//! zstd) becomes a one-layer image, as `docker import` does, with `--change`
//! Dockerfile instructions applied to its config.

use std::fs::File;
use std::io::Read;

use anyhow::{bail, Context};
use clap::Args as ClapArgs;
use serde_json::{json, Map, Value};
use skiff_store::{media, ManifestFlavor, Platform, Store};

use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Apply Dockerfile instruction to the created image (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, USER, VOLUME, WORKDIR, STOPSIGNAL)
    #[arg(short = 'c', long = "change", value_name = "INSTRUCTION")]
    pub change: Vec<String>,
    /// Set commit message for imported image
    #[arg(short = 'm', long)]
    pub message: Option<String>,
    /// Set platform of the imported image (os/arch[/variant])
    #[arg(long)]
    pub platform: Option<String>,
    /// Write an OCI manifest instead of docker's v2 schema 2
    #[arg(long)]
    pub oci: bool,
    /// Rootfs tar file, or - for stdin
    #[arg(value_name = "file|-")]
    pub file: String,
    /// Name to tag the image with
    #[arg(value_name = "REPOSITORY[:TAG]")]
    pub reference: Option<String>,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    if a.file.starts_with("http://") || a.file.starts_with("https://") {
        bail!(
            "import from a URL is not supported: download {} first",
            a.file
        );
    }
    // Validate everything before reading a possibly large input.
    if let Some(r) = &a.reference {
        skiff_store::normalize_reference(r)?;
    }
    let platform = match &a.platform {
        Some(p) => Platform::parse(p)?,
        None => Platform::host(),
    };
    let mut config = Map::new();
    for c in &a.change {
        apply_change(&mut config, c).with_context(|| format!("--change {c:?}"))?;
    }

    let store = Store::open(&g.root)?;
    let _lease = store.lease()?;
    let mut input: Box<dyn Read> = if a.file == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(File::open(&a.file).with_context(|| format!("open {}", a.file))?)
    };
    let flavor = if a.oci {
        ManifestFlavor::Oci
    } else {
        ManifestFlavor::Docker
    };
    let layer_mt = if a.oci {
        media::OCI_LAYER_GZIP
    } else {
        media::DOCKER_LAYER_GZIP
    };
    let layer = store
        .import_layer(&mut input, layer_mt)
        .with_context(|| format!("importing {}", a.file))?;

    let created = skiff_store::chrono::Utc::now()
        .to_rfc3339_opts(skiff_store::chrono::SecondsFormat::Nanos, true);
    let comment = a
        .message
        .clone()
        .unwrap_or_else(|| format!("Imported from {}", a.file));
    let mut cfg = json!({
        "architecture": platform.architecture,
        "os": platform.os,
        "created": created,
        "comment": comment,
        "config": Value::Object(config),
        "history": [{"created": created, "comment": comment}],
        "rootfs": {"type": "layers", "diff_ids": [layer.diff_id.to_string()]},
    });
    if let Some(v) = &platform.variant {
        cfg["variant"] = json!(v);
    }
    let bytes = serde_json::to_vec(&cfg)?;
    let digest = store.write_image_raw(&bytes, &[layer], flavor)?;
    if let Some(r) = &a.reference {
        store.tag(r, &digest)?;
    }
    say!("{}", skiff_store::sha256_digest(&bytes));
    Ok(0)
}

/// Apply one `--change` instruction to the config's `config` object, with
/// docker's field names and the Dockerfile's forms (JSON array or shell).
pub fn apply_change(cfg: &mut Map<String, Value>, change: &str) -> anyhow::Result<()> {
    let change = change.trim();
    let (instr, rest) = match change.split_once(char::is_whitespace) {
        Some((i, r)) => (i, r.trim()),
        None => (change, ""),
    };
    match instr.to_ascii_uppercase().as_str() {
        "CMD" => {
            cfg.insert("Cmd".into(), json!(exec_or_shell(rest)?));
        }
        "ENTRYPOINT" => {
            cfg.insert("Entrypoint".into(), json!(exec_or_shell(rest)?));
        }
        "ENV" => {
            let pairs = key_values(rest, "ENV")?;
            let env = cfg.entry("Env").or_insert_with(|| json!([]));
            let list = env.as_array_mut().expect("Env is an array");
            for (k, v) in pairs {
                list.retain(|e| e.as_str().and_then(|s| s.split_once('=')).map(|(ek, _)| ek != k).unwrap_or(true));
                list.push(json!(format!("{k}={v}")));
            }
        }
        "LABEL" => {
            let pairs = key_values(rest, "LABEL")?;
            let labels = cfg.entry("Labels").or_insert_with(|| json!({}));
            for (k, v) in pairs {
                labels[k] = json!(v);
            }
        }
        "EXPOSE" => {
            let ports = cfg.entry("ExposedPorts").or_insert_with(|| json!({}));
            for p in words(rest)? {
                let p = if p.contains('/') { p.to_ascii_lowercase() } else { format!("{p}/tcp") };
                ports[p] = json!({});
            }
        }
        "VOLUME" => {
            let vols = cfg.entry("Volumes").or_insert_with(|| json!({}));
            let list = if rest.starts_with('[') { json_array(rest)? } else { words(rest)? };
            for v in list {
                vols[v] = json!({});
            }
        }
        "USER" => {
            cfg.insert("User".into(), json!(one_arg(rest, "USER")?));
        }
        "WORKDIR" => {
            let w = one_arg(rest, "WORKDIR")?;
            let cur = cfg.get("WorkingDir").and_then(Value::as_str).unwrap_or("/").to_string();
            let w = if w.starts_with('/') { w } else { format!("{}/{w}", cur.trim_end_matches('/')) };
            cfg.insert("WorkingDir".into(), json!(w));
        }
        "STOPSIGNAL" => {
            cfg.insert("StopSignal".into(), json!(one_arg(rest, "STOPSIGNAL")?));
        }
        "ONBUILD" => {
            if rest.is_empty() {
                bail!("ONBUILD requires an instruction");
            }
            let list = cfg.entry("OnBuild").or_insert_with(|| json!([]));
            list.as_array_mut().expect("OnBuild is an array").push(json!(rest));
        }
        other => bail!("{other} is not a valid change command (valid: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, USER, VOLUME, WORKDIR, STOPSIGNAL)"),
    }
    Ok(())
}

fn one_arg(rest: &str, instr: &str) -> anyhow::Result<String> {
    let w = words(rest)?;
    if w.len() != 1 {
        bail!("{instr} requires exactly one argument");
    }
    Ok(w.into_iter().next().unwrap_or_default())
}

/// JSON array form, else the shell form `["/bin/sh","-c",rest]`.
fn exec_or_shell(rest: &str) -> anyhow::Result<Vec<String>> {
    if rest.starts_with('[') {
        if let Ok(v) = json_array(rest) {
            return Ok(v);
        }
    }
    if rest.is_empty() {
        bail!("missing command");
    }
    Ok(vec!["/bin/sh".into(), "-c".into(), rest.into()])
}

fn json_array(s: &str) -> anyhow::Result<Vec<String>> {
    serde_json::from_str::<Vec<String>>(s)
        .with_context(|| format!("{s} is not a JSON array of strings"))
}

/// Split on whitespace honouring double and single quotes and backslashes.
fn words(s: &str) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, c) if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, '"') | (None, '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (Some(q), c) if c == q => quote = None,
            (q, '\\') if q != Some('\'') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
                in_word = true;
            }
            (_, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        bail!("unterminated quote in {s:?}");
    }
    if in_word {
        out.push(cur);
    }
    Ok(out)
}

/// `k=v k2="v 2"` or the legacy `k v w` (one pair, value = the rest).
fn key_values(rest: &str, instr: &str) -> anyhow::Result<Vec<(String, String)>> {
    let w = words(rest)?;
    if w.is_empty() {
        bail!("{instr} requires at least one argument");
    }
    if !w[0].contains('=') {
        let (k, v) = rest
            .split_once(char::is_whitespace)
            .ok_or_else(|| anyhow::anyhow!("{instr} {rest}: expected {instr} key=value"))?;
        return Ok(vec![(k.to_string(), v.trim().to_string())]);
    }
    w.into_iter()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => bail!("{instr}: {kv:?} is not key=value"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_like_docker_import() {
        let mut c = Map::new();
        apply_change(&mut c, r#"CMD ["/bin/sh", "-c", "echo hi"]"#).unwrap();
        apply_change(&mut c, "ENV A=1 B=\"two words\"").unwrap();
        apply_change(&mut c, "ENV A=3").unwrap();
        apply_change(&mut c, "ENTRYPOINT /bin/app --x").unwrap();
        apply_change(&mut c, "EXPOSE 80 53/udp").unwrap();
        apply_change(&mut c, "WORKDIR /srv").unwrap();
        apply_change(&mut c, "LABEL a=b").unwrap();
        let v = Value::Object(c);
        assert_eq!(v["Cmd"], json!(["/bin/sh", "-c", "echo hi"]));
        assert_eq!(v["Env"], json!(["B=two words", "A=3"]));
        assert_eq!(v["Entrypoint"], json!(["/bin/sh", "-c", "/bin/app --x"]));
        assert_eq!(v["ExposedPorts"], json!({"80/tcp": {}, "53/udp": {}}));
        assert_eq!(v["WorkingDir"], json!("/srv"));
        assert_eq!(v["Labels"], json!({"a": "b"}));
        assert!(apply_change(&mut Map::new(), "RUN x").is_err());
    }
}
