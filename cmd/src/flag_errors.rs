//! docker's wording for a flag its parser does not know. clap says
//! "unexpected argument '--foo' found" with a tip and a usage block; docker
//! (spf13/pflag) says `unknown flag: --foo` and points at the command's help,
//! and scripts match on that line.

use clap::error::{ContextKind, ContextValue, ErrorKind};

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
