//! Steps that change only the image config (ENV, LABEL, USER, EXPOSE, CMD,
//! ENTRYPOINT, HEALTHCHECK, ARG, ...), and WORKDIR, which also creates the
//! directory when the image lacks it.

use std::fs;
use std::path::Path;

use serde_json::{json, Value};
use skiff_frontend::instructions::{Command, Healthcheck, KeyValue};
use skiff_frontend::EnvList;

use crate::copy;
use crate::error::{io_at, BuildError, Result};
use crate::imageconfig::ImageConfig;
use crate::tree::{self, LayerTree, Tree};

use super::commit::layer_in_temp_dir;
use super::stage::{cmdline, expand, lex, Prepared, Produced, State};
use super::Shared;

fn meta(
    material: String,
    created_by: String,
    f: impl FnOnce(&mut ImageConfig) + 'static,
) -> Prepared {
    Prepared {
        material,
        work: Box::new(move |sh, st, _| {
            let mut c = st.config.clone();
            f(&mut c);
            Ok(Produced::step(sh, c, &created_by, None))
        }),
        after: Box::new(|_| {}),
    }
}

fn nanos(d: std::time::Duration) -> Value {
    json!(d.as_nanos() as u64)
}

/// `KEY=VALUE KEY=VALUE` as history and cache key show ENV and LABEL.
fn pairs_line(verb: &str, pairs: &[(String, String)]) -> String {
    let words: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{verb} {}", words.join(" "))
}

/// The `port/proto` keys one EXPOSE word stands for: proto defaults to
/// tcp and is lowercased, a range `8000-8002` is every port in it, and an
/// `ip:host:` prefix (docker run's spec) is ignored.
pub(crate) fn expose_ports(word: &str) -> Result<Vec<String>> {
    let bad = || BuildError::Invalid(format!("invalid EXPOSE port {word:?}"));
    let container = word.rsplit(':').next().unwrap_or(word);
    let (ports, proto) = match container.split_once('/') {
        Some((p, proto)) if !proto.is_empty() => (p, proto.to_lowercase()),
        Some((p, _)) => (p, "tcp".to_string()),
        None => (container, "tcp".to_string()),
    };
    if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
        return Err(bad());
    }
    let (start, end) = match ports.split_once('-') {
        Some((a, b)) => (a, b),
        None => (ports, ports),
    };
    let start: u16 = start.parse().map_err(|_| bad())?;
    let end: u16 = end.parse().map_err(|_| bad())?;
    if end < start {
        return Err(bad());
    }
    Ok((start..=end).map(|p| format!("{p}/{proto}")).collect())
}

/// Keys and values of ENV or LABEL, each expanded against `env` (the
/// environment from before the instruction).
fn expand_pairs(sh: &Shared, kvs: &[KeyValue], env: &EnvList) -> Result<Vec<(String, String)>> {
    kvs.iter()
        .map(|kv| Ok((expand(sh, &kv.key, env)?, expand(sh, &kv.value, env)?)))
        .collect()
}

/// A config-only step.
pub(super) fn prepare(sh: &Shared, st: &State, cmd: &Command, env: &EnvList) -> Result<Prepared> {
    Ok(match cmd {
        Command::Env(kvs) => {
            // Every pair expands against the environment from before this
            // instruction: `ENV a=1 b=$a` gives b the old a (as BuildKit).
            let pairs = expand_pairs(sh, kvs, env)?;
            let by = pairs_line("ENV", &pairs);
            meta(by.clone(), by, move |c| {
                for (k, v) in &pairs {
                    c.set_env(k, v);
                }
            })
        }
        Command::Label(kvs) => {
            let pairs = expand_pairs(sh, kvs, env)?;
            let by = pairs_line("LABEL", &pairs);
            meta(by.clone(), by, move |c| {
                for (k, v) in &pairs {
                    c.insert_map("Labels", k, json!(v));
                }
            })
        }
        Command::Maintainer(m) => {
            let m = m.clone();
            meta(
                format!("MAINTAINER {m}"),
                format!("MAINTAINER {m}"),
                move |c| {
                    c.0["author"] = json!(m);
                },
            )
        }
        Command::User(u) => {
            let u = expand(sh, u, env)?;
            meta(format!("USER {u}"), format!("USER {u}"), move |c| {
                c.set("User", json!(u))
            })
        }
        Command::StopSignal(s) => {
            let s = expand(sh, s, env)?;
            meta(
                format!("STOPSIGNAL {s}"),
                format!("STOPSIGNAL {s}"),
                move |c| c.set("StopSignal", json!(s)),
            )
        }
        Command::Expose(ports) => {
            let mut list = Vec::new();
            for p in ports {
                for w in lex(sh)
                    .process_words(p, env)
                    .map_err(|e| BuildError::Invalid(e.message))?
                {
                    list.extend(expose_ports(&w)?);
                }
            }
            let by = format!(
                "EXPOSE map[{}]",
                list.iter()
                    .map(|p| format!("{p}:{{}}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            meta(by.clone(), by, move |c| {
                for p in &list {
                    c.insert_map("ExposedPorts", p, json!({}));
                }
            })
        }
        Command::Volume(vols) => {
            let mut list = Vec::new();
            for v in vols {
                list.push(expand(sh, v, env)?);
            }
            let by = format!("VOLUME {list:?}");
            meta(by.clone(), by, move |c| {
                for v in &list {
                    c.insert_map("Volumes", v, json!({}));
                }
            })
        }
        Command::Cmd(cl) => {
            let v = cmdline(st, cl);
            let by = format!("CMD {}", serde_json::to_string(&v).unwrap_or_default());
            let mut p = meta(by.clone(), by, move |c| c.set("Cmd", json!(v)));
            p.after = Box::new(|st| st.cmd_set = true);
            p
        }
        Command::Entrypoint(cl) => {
            let v = cmdline(st, cl);
            let by = format!(
                "ENTRYPOINT {}",
                serde_json::to_string(&v).unwrap_or_default()
            );
            let reset = !st.cmd_set;
            meta(format!("{by} reset={reset}"), by, move |c| {
                c.set("Entrypoint", json!(v));
                // An ENTRYPOINT resets the CMD inherited from the base, not
                // one set earlier in this stage.
                if reset {
                    c.set("Cmd", Value::Null);
                }
            })
        }
        Command::Shell(v) => {
            let v = v.clone();
            let by = format!("SHELL {}", serde_json::to_string(&v).unwrap_or_default());
            meta(by.clone(), by, move |c| c.set("Shell", json!(v)))
        }
        Command::Onbuild(t) => {
            let t = t.clone();
            let by = format!("ONBUILD {t}");
            meta(by.clone(), by, move |c| c.push_list("OnBuild", json!(t)))
        }
        Command::Healthcheck(h) => {
            let v = match h {
                Healthcheck::None => json!({"Test": ["NONE"]}),
                Healthcheck::Check {
                    test,
                    interval,
                    timeout,
                    start_period,
                    start_interval,
                    retries,
                } => {
                    let mut o = json!({ "Test": test });
                    for (k, d) in [
                        ("Interval", interval),
                        ("Timeout", timeout),
                        ("StartPeriod", start_period),
                        ("StartInterval", start_interval),
                    ] {
                        if !d.is_zero() {
                            o[k] = nanos(*d);
                        }
                    }
                    if *retries != 0 {
                        o["Retries"] = json!(retries);
                    }
                    o
                }
            };
            let by = format!("HEALTHCHECK {v}");
            meta(by.clone(), by, move |c| c.set("Healthcheck", v))
        }
        Command::Arg(decls) => {
            let mut vals: Vec<(String, Option<String>)> = Vec::new();
            let mut scratch = env.clone();
            for d in decls {
                let v = sh
                    .plan
                    .resolve_arg(d, &scratch)
                    .map_err(|e| BuildError::Invalid(e.message))?;
                if let Some(v) = &v {
                    scratch.set(&d.key, v);
                }
                vals.push((d.key.clone(), v));
            }
            let material = format!("ARG {vals:?}");
            Prepared {
                material,
                work: Box::new(|_, st, _| {
                    Ok(Produced {
                        config: st.config.clone(),
                        layer: None,
                    })
                }),
                after: Box::new(move |st| {
                    // An ARG with no value from anywhere leaves the name
                    // unset (`${Z+yes}` is empty), as BuildKit does.
                    for (k, v) in vals {
                        if let Some(v) = v {
                            st.args.set(&k, &v);
                        }
                    }
                }),
            }
        }
        Command::Workdir(_) | Command::Copy(_) | Command::Add(_) | Command::Run(_) => {
            return Err(BuildError::Invalid(format!(
                "{} is not a config-only instruction",
                cmd.name()
            )))
        }
    })
}

/// WORKDIR: set the config's working directory; create it (like the
/// image's parents) in a layer of its own when the image lacks it.
pub(super) fn prepare_workdir(sh: &Shared, st: &State, w: &str, env: &EnvList) -> Result<Prepared> {
    let w = expand(sh, w, env)?;
    let full = if w.starts_with('/') {
        tree::clean(&w)
    } else {
        tree::join(&tree::clean(&st.config.workdir()), &tree::clean(&w))
    };
    let abs = format!("/{full}");
    let by = format!("WORKDIR {abs}");
    Ok(Prepared {
        material: by.clone(),
        work: Box::new(move |sh, st, _| {
            let mut c = st.config.clone();
            c.set("WorkingDir", json!(abs));
            let view = LayerTree::new(&st.snapshots);
            let exists = view
                .resolve(&full, true)
                .ok()
                .and_then(|r| view.node(&r))
                .is_some_and(|n| n.md.is_dir());
            let layer = if !exists && !full.is_empty() {
                // Directories it creates belong to the stage's USER, resolved
                // as BuildKit's file op does (unknown names give root).
                let user = st.config.user();
                let owner = if user.is_empty() {
                    (0, 0)
                } else {
                    copy::chown::resolve(&user, &view).unwrap_or((0, 0))
                };
                layer_in_temp_dir(sh, st, "build-workdir", |upper| {
                    mkdir_like_image(&view, upper, &full, owner).map_err(io_at(upper))
                })?
            } else {
                None
            };
            Ok(Produced::step(sh, c, &by, layer))
        }),
        after: Box::new(|_| {}),
    })
}

/// Create `rel` (and missing parents) in `upper`; parents that exist in
/// the image keep its metadata so the layer changes nothing else, new
/// ones get `owner` (uid, gid).
fn mkdir_like_image(
    view: &dyn Tree,
    upper: &Path,
    rel: &str,
    owner: (u32, u32),
) -> std::io::Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let mut cur = String::new();
    let mut times = Vec::new();
    for comp in rel.split('/').filter(|c| !c.is_empty()) {
        cur = tree::join(&cur, comp);
        let target = upper.join(&cur);
        fs::create_dir(&target)?;
        if let Some(n) = view.node(&cur).filter(|n| n.md.is_dir()) {
            fs::set_permissions(&target, fs::Permissions::from_mode(n.md.mode() & 0o7777))?;
            let _ = std::os::unix::fs::lchown(&target, Some(n.md.uid()), Some(n.md.gid()));
            times.push((target, n.md.mtime(), n.md.mtime_nsec()));
        } else {
            fs::set_permissions(&target, fs::Permissions::from_mode(0o755))?;
            copy::set_owner(&target, owner.0, owner.1)?;
        }
    }
    for (t, s, ns) in times.into_iter().rev() {
        copy::set_times(&t, s, ns)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::expose_ports;

    #[test]
    fn expose_expands_ranges_and_defaults_to_tcp() {
        assert_eq!(expose_ports("80").unwrap(), ["80/tcp"]);
        assert_eq!(expose_ports("53/UDP").unwrap(), ["53/udp"]);
        assert_eq!(
            expose_ports("8000-8002").unwrap(),
            ["8000/tcp", "8001/tcp", "8002/tcp"]
        );
        assert_eq!(
            expose_ports("7000-7001/udp").unwrap(),
            ["7000/udp", "7001/udp"]
        );
        assert!(expose_ports("x").is_err());
        assert!(expose_ports("9-8").is_err());
        assert!(expose_ports("80/icmp").is_err());
    }
}
