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

/// Give the boolean flags of `c` (a command whose flags are made: see
/// `cli::command` for which commands) pflag's optional value: `--rm` is
/// `--rm=true`, `--rm=false` turns it off. The `=` is required, so `--rm
/// image` never takes the image for the value and `-it` stays two flags.
pub fn bool_values(c: Command) -> Command {
    let ids: Vec<String> = c
        .get_arguments()
        // Not the global flags (`--debug`) clap has copied in.
        .filter(|a| matches!(a.get_action(), ArgAction::SetTrue) && !a.is_global_set())
        .map(|a| a.get_id().to_string())
        .collect();
    ids.into_iter()
        .fold(c, |c, id| c.mut_arg(id, with_optional_value))
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

/// The commands docker checks with cobra's RequiresRangeArgs ("requires at
/// least 1 and at most 2 arguments"); its others with optional words only
/// say "at least" (`import`).
const RANGE_ARGS: &[&str] = &["commit", "port"];

/// docker's text for a wrong number of arguments (cobra's "'docker logs'
/// requires 1 argument", which docker exits 1 for, not 125), found from
/// the positionals of the command `e` is about in `root`; `None` for every
/// other error.
pub fn args_text(e: &clap::Error, root: &Command) -> Option<String> {
    let positional = |a: &String| a.starts_with('<') || a.starts_with('[');
    match (e.kind(), e.get(ContextKind::InvalidArg)) {
        (ErrorKind::MissingRequiredArgument, Some(ContextValue::Strings(v)))
            if v.iter().all(positional) => {}
        // A word too many (clap calls it an unexpected argument).
        (ErrorKind::UnknownArgument, Some(ContextValue::String(a))) if !a.starts_with('-') => {}
        (
            ErrorKind::WrongNumberOfValues | ErrorKind::TooFewValues,
            Some(ContextValue::String(a)),
        ) if positional(a) => {}
        _ => return None,
    }
    let usage = match e.get(ContextKind::Usage) {
        Some(ContextValue::StyledStr(s)) => s.to_string(),
        _ => return None,
    };
    let path = command_path(&usage)?;
    let mut cmd = root;
    for word in path.split_whitespace().skip(1) {
        cmd = cmd.find_subcommand(word)?;
    }
    let args: Vec<&Arg> = cmd.get_positionals().collect();
    // `exec`'s CONTAINER COMMAND [ARG...] is one positional of 2 or more.
    let required: usize = args
        .iter()
        .filter(|a| a.is_required_set())
        .map(|a| a.get_num_args().map_or(1, |n| n.min_values().max(1)))
        .sum();
    let variadic = args
        .iter()
        .any(|a| a.get_num_args().is_some_and(|n| n.max_values() > 1));
    let plural = |n: usize| if n == 1 { "argument" } else { "arguments" };
    let needs = if args.is_empty() {
        "accepts no arguments".to_string()
    } else if required == 0 {
        format!("requires at most {} {}", args.len(), plural(args.len()))
    } else if !variadic && required < args.len() && RANGE_ARGS.contains(&cmd.get_name()) {
        format!(
            "requires at least {required} and at most {} arguments",
            args.len()
        )
    } else if variadic || required < args.len() {
        format!("requires at least {required} {}", plural(required))
    } else {
        format!("requires {required} {}", plural(required))
    };
    let line = usage.lines().find(|l| !l.trim().is_empty())?.trim();
    let line = line.strip_prefix("Usage:").unwrap_or(line).trim();
    let bin = path.split_whitespace().next()?;
    Some(format!(
        "{bin}: '{path}' {needs}\n\nUsage:  {line}\n\nSee '{path} --help' for more information"
    ))
}

/// Whether `e` is a bad value of a positional argument (not of a flag).
pub fn positional_value(e: &clap::Error) -> bool {
    e.kind() == ErrorKind::InvalidValue
        && matches!(e.get(ContextKind::InvalidArg),
            Some(ContextValue::String(a)) if a.starts_with('<') || a.starts_with('['))
}

/// docker's text for an unknown subcommand (`docker: unknown command:
/// docker image bogus`, exit 1); `None` for every other error.
pub fn unknown_command_text(e: &clap::Error) -> Option<String> {
    if e.kind() != ErrorKind::InvalidSubcommand {
        return None;
    }
    let Some(ContextValue::String(word)) = e.get(ContextKind::InvalidSubcommand) else {
        return None;
    };
    let usage = match e.get(ContextKind::Usage) {
        Some(ContextValue::StyledStr(s)) => s.to_string(),
        _ => return None,
    };
    let path = command_path(&usage)?;
    let bin = path.split_whitespace().next()?;
    Some(format!(
        "{bin}: unknown command: {path} {word}\n\nRun '{path} --help' for more information"
    ))
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

    /// The flag `id` of `skiff ARGV...`'s innermost subcommand.
    fn flag(argv: &[&str], id: &str) -> bool {
        let m = crate::cli::command().try_get_matches_from(argv).unwrap();
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
        assert!(crate::cli::command()
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
