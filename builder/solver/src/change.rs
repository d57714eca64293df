//! Applying `--change` instructions (`skiff import --change`) to an image
//! config, with a Dockerfile's meaning: values expand against the config's
//! environment, shell-form commands run with its SHELL, a relative WORKDIR
//! joins the current one. The instructions are parsed by skiff-frontend.

use serde_json::json;
use skiff_frontend::change::parse_change;
use skiff_frontend::instructions::{Command, CommandLine};
use skiff_frontend::{EnvList, ShellLex};

use crate::error::{BuildError, Result};
use crate::imageconfig::ImageConfig;
use crate::tree;

/// Apply each change, in order, to `config`.
pub fn apply_changes(config: &mut ImageConfig, changes: &[String]) -> Result<()> {
    let mut cmd_set = false;
    for c in changes {
        apply(config, c, &mut cmd_set)
            .map_err(|e| BuildError::Invalid(format!("--change {c:?}: {e}")))?;
    }
    Ok(())
}

fn apply(
    config: &mut ImageConfig,
    change: &str,
    cmd_set: &mut bool,
) -> std::result::Result<(), String> {
    let command = parse_change(change).map_err(|e| e.message)?;
    let lex = ShellLex::new('\\');
    let env = || EnvList::from_pairs(config.env());
    let word = |w: &str, env: &EnvList| lex.process_word(w, env).map_err(|e| e.message);
    match command {
        Command::Env(kvs) => {
            // Every pair sees the environment from before the line, as in a
            // Dockerfile (`ENV A=1 B=$A` gives B the old A).
            let env = env();
            for kv in kvs {
                let (k, v) = (word(&kv.key, &env)?, word(&kv.value, &env)?);
                config.set_env(&k, &v);
            }
        }
        Command::Label(kvs) => {
            let env = env();
            for kv in kvs {
                let (k, v) = (word(&kv.key, &env)?, word(&kv.value, &env)?);
                config.insert_map("Labels", &k, json!(v));
            }
        }
        Command::Expose(ports) => {
            let env = env();
            for p in ports {
                for w in lex.process_words(&p, &env).map_err(|e| e.message)? {
                    // The Dockerfile's rule: ranges, protocol checked.
                    for key in crate::solve::expose_ports(&w).map_err(|e| e.to_string())? {
                        config.insert_map("ExposedPorts", &key, json!({}));
                    }
                }
            }
        }
        Command::Volume(vols) => {
            let env = env();
            for v in vols {
                config.insert_map("Volumes", &word(&v, &env)?, json!({}));
            }
        }
        Command::User(u) => config.set("User", json!(word(&u, &env())?)),
        Command::StopSignal(s) => config.set("StopSignal", json!(word(&s, &env())?)),
        Command::Workdir(w) => {
            let w = word(&w, &env())?;
            let full = if w.starts_with('/') {
                tree::clean(&w)
            } else {
                tree::join(&tree::clean(&config.workdir()), &tree::clean(&w))
            };
            config.set("WorkingDir", json!(format!("/{full}")));
        }
        Command::Cmd(cl) => {
            config.set("Cmd", json!(command_line(config, &cl)));
            *cmd_set = true;
        }
        Command::Entrypoint(cl) => {
            config.set("Entrypoint", json!(command_line(config, &cl)));
            // As in a Dockerfile: an ENTRYPOINT resets a CMD it did not follow.
            if !*cmd_set {
                config.set("Cmd", serde_json::Value::Null);
            }
        }
        Command::Onbuild(t) => config.push_list("OnBuild", json!(t)),
        other => return Err(format!("{} is not a valid change command", other.name())),
    }
    Ok(())
}

/// Exec form as written; shell form run with the config's SHELL.
fn command_line(config: &ImageConfig, c: &CommandLine) -> Vec<String> {
    if c.prepend_shell {
        let mut v = config.shell();
        v.push(c.args.join(" "));
        v
    } else {
        c.args.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(changes: &[&str]) -> serde_json::Value {
        let mut c = ImageConfig::scratch("linux", "amd64", None);
        let changes: Vec<String> = changes.iter().map(|s| s.to_string()).collect();
        apply_changes(&mut c, &changes).unwrap();
        c.0["config"].clone()
    }

    #[test]
    fn changes_like_docker_import() {
        let v = applied(&[
            r#"CMD ["/bin/sh", "-c", "echo hi"]"#,
            "ENV A=1 B=\"two words\"",
            "ENV A=3",
            "ENTRYPOINT /bin/app --x",
            "EXPOSE 80 53/UDP",
            "WORKDIR /srv",
            "WORKDIR data",
            "LABEL a=b",
            "VOLUME [\"/v1\", \"/v2\"]",
            "USER nobody",
            "STOPSIGNAL SIGINT",
        ]);
        assert_eq!(v["Cmd"], json!(["/bin/sh", "-c", "echo hi"]));
        // docker replaces an ENV entry in place (the old cmd copy moved it last).
        assert_eq!(v["Env"], json!(["A=3", "B=two words"]));
        assert_eq!(v["Entrypoint"], json!(["/bin/sh", "-c", "/bin/app --x"]));
        assert_eq!(v["ExposedPorts"], json!({"80/tcp": {}, "53/udp": {}}));
        assert_eq!(v["WorkingDir"], json!("/srv/data"));
        assert_eq!(v["Labels"], json!({"a": "b"}));
        assert_eq!(v["Volumes"], json!({"/v1": {}, "/v2": {}}));
        assert_eq!(v["User"], json!("nobody"));
        assert_eq!(v["StopSignal"], json!("SIGINT"));
    }

    /// Values expand against the config's environment, as docker's
    /// import/commit --change do (the old hand-written parser did not).
    #[test]
    fn values_expand_against_the_env() {
        let v = applied(&["ENV A=1", "ENV B=$A", "WORKDIR /w/${A}", "LABEL l=$B"]);
        assert_eq!(v["Env"], json!(["A=1", "B=1"]));
        assert_eq!(v["WorkingDir"], json!("/w/1"));
        assert_eq!(v["Labels"], json!({"l": "1"}));
    }

    /// The Dockerfile's rules, not a second set: a same-line ENV sees the
    /// old value, EXPOSE takes ranges and checks the protocol.
    #[test]
    fn same_rules_as_a_dockerfile() {
        let v = applied(&["ENV A=old", "ENV A=new B=$A", "EXPOSE 8000-8001/UDP"]);
        assert_eq!(v["Env"], json!(["A=new", "B=old"]));
        assert_eq!(v["ExposedPorts"], json!({"8000/udp": {}, "8001/udp": {}}));
        let mut c = ImageConfig::scratch("linux", "amd64", None);
        assert!(apply_changes(&mut c, &["EXPOSE 80/xyz".to_string()]).is_err());
    }

    #[test]
    fn errors_name_the_change() {
        let mut c = ImageConfig::scratch("linux", "amd64", None);
        for bad in ["RUN x", "FROM alpine", "USER", "ONBUILD FROM x"] {
            let e = apply_changes(&mut c, &[bad.to_string()])
                .unwrap_err()
                .to_string();
            assert!(e.contains(&format!("{bad:?}")), "{e}");
        }
    }
}
