//! The container's process from the image's config and the flags, by
//! docker's rules: argv from Entrypoint/Cmd, the environment, the working
//! directory.

use super::image::{list, text, RunImage};
use super::options::{ProcessOptions, RunOptions};
use crate::error::{Error, Result};
use crate::flags;

/// docker's default PATH when the image sets none.
const DEFAULT_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// What the container runs: its argv, and the entrypoint and cmd it came
/// from (kept for `inspect`).
pub(super) struct Argv {
    pub args: Vec<String>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
}

/// `--entrypoint` resets the image's Cmd; arguments after the image
/// replace Cmd. Nothing to run at all is an error.
pub(super) fn argv(o: &RunOptions, image: &RunImage) -> Result<Argv> {
    let (entrypoint, cmd) = match &o.entrypoint {
        Some(e) if e.is_empty() => (vec![], o.command.clone()),
        Some(e) => (vec![e.clone()], o.command.clone()),
        None if o.command.is_empty() => (list(image.config.entrypoint()), list(image.config.cmd())),
        None => (list(image.config.entrypoint()), o.command.clone()),
    };
    let args: Vec<String> = entrypoint.iter().chain(cmd.iter()).cloned().collect();
    if args.is_empty() {
        return Err(Error::Invalid("No command specified".into()));
    }
    Ok(Argv {
        args,
        entrypoint,
        cmd,
    })
}

/// The image's environment (with docker's PATH if it has none), TERM for
/// `-t`, then `--env-file` and `-e`.
pub(super) fn env(o: &ProcessOptions, image: &RunImage) -> Result<Vec<String>> {
    let mut env = list(image.config.env());
    if !env.iter().any(|e| e.starts_with("PATH=")) {
        env.insert(0, DEFAULT_PATH.to_string());
    }
    if o.tty {
        flags::merge_env(&mut env, &["TERM=xterm".to_string()]);
    }
    flags::merge_env(&mut env, &o.env_overrides()?);
    Ok(env)
}

/// `-w`, or the image's WorkingDir.
pub(super) fn workdir(o: &ProcessOptions, image: &RunImage) -> Result<String> {
    Ok(o.checked_workdir()?
        .map(str::to_string)
        .unwrap_or_else(|| text(image.config.working_dir())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image() -> RunImage {
        let mut image = RunImage::default();
        image.config.set_entrypoint(Some(vec!["/ep".into()]));
        image.config.set_cmd(Some(vec!["default".into()]));
        image.config.set_env(Some(vec!["A=1".into()]));
        image
    }

    fn run_with(entrypoint: Option<&str>, command: &[&str]) -> Result<Argv> {
        let o = RunOptions {
            entrypoint: entrypoint.map(str::to_string),
            command: command.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        argv(&o, &image())
    }

    #[test]
    fn entrypoint_and_cmd_follow_docker() {
        assert_eq!(run_with(None, &[]).unwrap().args, ["/ep", "default"]);
        assert_eq!(run_with(None, &["x"]).unwrap().args, ["/ep", "x"]);
        // --entrypoint drops the image's Cmd.
        assert_eq!(run_with(Some("/sh"), &[]).unwrap().args, ["/sh"]);
        assert_eq!(run_with(Some(""), &["ls"]).unwrap().args, ["ls"]);
        assert!(run_with(Some(""), &[]).is_err());
    }

    #[test]
    fn env_gets_default_path_term_and_flags() {
        let o = ProcessOptions {
            tty: true,
            env: vec!["A=2".into(), "B=3".into()],
            ..Default::default()
        };
        let env = env(&o, &image()).unwrap();
        assert_eq!(
            env,
            [DEFAULT_PATH, "A=2", "TERM=xterm", "B=3"].map(String::from)
        );
        let rel = ProcessOptions {
            workdir: Some("rel".into()),
            ..Default::default()
        };
        assert!(workdir(&rel, &image()).is_err());
    }
}
