//! Where docker's flag parser (spf13/pflag) and clap differ, made docker's:
//!
//! * An unknown flag: clap says "unexpected argument '--foo' found" with a
//!   tip and a usage block; pflag says `unknown flag: --foo` and points at
//!   the command's help, and scripts match on that line.
//! * A boolean flag takes an optional `=VALUE` in pflag (`--rm=false`,
//!   `-d=true`, `--privileged=1`); clap's plain flags refuse any value.

use clap::builder::BoolishValueParser;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, Command};

/// The commands whose boolean flags take pflag's `--flag=true|false`
/// (run, create, exec: what scripts and tools generate argv for), at the
/// top level and under `container`.
const BOOL_VALUE_COMMANDS: &[&str] = &["run", "create", "exec"];

/// Give the boolean flags of [`BOOL_VALUE_COMMANDS`] pflag's optional
/// value: `--rm` is `--rm=true`, `--rm=false` turns it off. The `=` is
/// required, so `--rm image` never takes the image for the value and `-it`
/// stays two flags.
pub fn bool_values(cli: Command) -> Command {
    let cli = cli.mut_subcommand("container", bool_values_in_group);
    bool_values_in_group(cli)
}

fn bool_values_in_group(mut group: Command) -> Command {
    for name in BOOL_VALUE_COMMANDS {
        if group.find_subcommand(name).is_some() {
            group = group.mut_subcommand(name, |c| {
                let ids: Vec<String> = c
                    .get_arguments()
                    .filter(|a| matches!(a.get_action(), ArgAction::SetTrue))
                    .map(|a| a.get_id().to_string())
                    .collect();
                ids.into_iter()
                    .fold(c, |c, id| c.mut_arg(id, with_optional_value))
            });
        }
    }
    group
}

fn with_optional_value(a: Arg) -> Arg {
    optional_value(a)
        .default_value("false")
        .hide_default_value(true)
        .value_name("BOOL")
}

/// A boolean flag that docker defaults to true (`commit --pause`,
/// `history --human`): given bare it is true, `--flag=false` turns it off.
/// For a derive struct: `#[command(mut_arg("flag", pflag::default_true))]`.
pub fn default_true(a: Arg) -> Arg {
    optional_value(a).default_value("true")
}

/// pflag's optional `=VALUE` on a boolean flag.
fn optional_value(a: Arg) -> Arg {
    a.action(ArgAction::Set)
        .num_args(0..=1)
        .require_equals(true)
        .default_missing_value("true")
        .value_parser(BoolishValueParser::new())
}

/// docker's text for `e` when it is an unknown flag, else `None` (clap's own
/// text is kept for everything else).
pub fn docker_text(e: &clap::Error) -> Option<String> {
    if e.kind() != ErrorKind::UnknownArgument {
        return None;
    }
    let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg) else {
        return None;
    };
    let first = unknown_flag(arg)?;
    let usage = match e.get(ContextKind::Usage) {
        Some(ContextValue::StyledStr(s)) => s.to_string(),
        _ => String::new(),
    };
    Some(match command_path(&usage) {
        Some(path) => format!("{first}\nSee '{path} --help'."),
        None => first,
    })
}

/// pflag's two messages: `unknown flag: --foo` and
/// `unknown shorthand flag: 'x' in -x`. A word not starting with `-` is an
/// unexpected positional, not a flag.
fn unknown_flag(arg: &str) -> Option<String> {
    if let Some(long) = arg.strip_prefix("--") {
        let name = long.split('=').next().unwrap_or(long);
        return (!name.is_empty()).then(|| format!("unknown flag: --{name}"));
    }
    let short = arg.strip_prefix('-')?;
    let c = short.chars().next()?;
    Some(format!("unknown shorthand flag: '{c}' in {arg}"))
}

/// `skiff run` from clap's "Usage: skiff run [OPTIONS] <IMAGE...>": the
/// words before the first placeholder.
fn command_path(usage: &str) -> Option<String> {
    let line = usage.lines().find(|l| !l.trim().is_empty())?;
    let line = line.trim().strip_prefix("Usage:").unwrap_or(line).trim();
    let words: Vec<&str> = line
        .split_whitespace()
        .take_while(|w| !w.starts_with(['[', '<', '-']))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// The flag `id` of `skiff ARGV...`'s innermost subcommand.
    fn flag(argv: &[&str], id: &str) -> bool {
        let m = bool_values(crate::cli::Cli::command())
            .try_get_matches_from(argv)
            .unwrap();
        let mut m = &m;
        while let Some((_, sub)) = m.subcommand() {
            m = sub;
        }
        *m.get_one::<bool>(id).unwrap()
    }

    #[test]
    fn bool_flags_take_pflags_optional_value() {
        assert!(flag(&["skiff", "run", "--rm", "img"], "rm"));
        assert!(flag(&["skiff", "run", "--rm=true", "img"], "rm"));
        assert!(!flag(&["skiff", "run", "--rm=false", "img"], "rm"));
        assert!(!flag(&["skiff", "run", "img"], "rm"));
        assert!(flag(
            &["skiff", "container", "create", "-t=1", "img"],
            "tty"
        ));
        assert!(!flag(
            &["skiff", "exec", "-i=false", "c", "sh"],
            "interactive"
        ));
        // A cluster is still flags, and the image is never a value.
        assert!(flag(&["skiff", "run", "-itd", "img"], "detach"));
        assert!(flag(&["skiff", "run", "-itd", "img"], "tty"));
        assert!(flag(&["skiff", "run", "-d", "true"], "detach"));
        assert!(bool_values(crate::cli::Cli::command())
            .try_get_matches_from(["skiff", "run", "--rm=maybe", "img"])
            .is_err());
    }

    #[test]
    fn default_true_flags_are_on_unless_set_false() {
        assert!(flag(&["skiff", "commit", "c"], "pause"));
        assert!(flag(&["skiff", "commit", "--pause", "c"], "pause"));
        assert!(!flag(&["skiff", "commit", "-p=false", "c"], "pause"));
        assert!(!flag(&["skiff", "history", "--human=0", "i"], "human"));
        assert!(flag(&["skiff", "image", "history", "i"], "human"));
    }

    #[test]
    fn pflag_wording() {
        assert_eq!(unknown_flag("--foo").unwrap(), "unknown flag: --foo");
        assert_eq!(unknown_flag("--foo=1").unwrap(), "unknown flag: --foo");
        assert_eq!(
            unknown_flag("-x").unwrap(),
            "unknown shorthand flag: 'x' in -x"
        );
        assert_eq!(unknown_flag("image"), None);
    }

    #[test]
    fn path_from_usage() {
        assert_eq!(
            command_path("Usage: skiff run [OPTIONS] <IMAGE [COMMAND] [ARG...]>...").unwrap(),
            "skiff run"
        );
        assert_eq!(
            command_path("Usage: docker container exec [OPTIONS] <C>").unwrap(),
            "docker container exec"
        );
    }
}
