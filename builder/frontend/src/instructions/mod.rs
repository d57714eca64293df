//! Typed, validated instructions: one parse tree [`Node`] in, one
//! [`Instruction`] (or a [`FromInstruction`] that starts a stage) out.
//!
//! Values are kept as written (not yet expanded): which words expand, and
//! against which environment, depends on the stage's env at build time; see
//! [`crate::plan`] and [`crate::expand`].

mod copy;
mod flags;
mod healthcheck;
mod mount;
mod run;
mod values;

use std::time::Duration;

pub use mount::{ram_in_bytes, Expander, Mount, MountType, Sharing};
pub use values::{parse_go_duration, Chmod};

use crate::error::{Error, LineRange};
use crate::parser::{Heredoc, Node};
use crate::suggest::did_you_mean;
use copy::{parse_add, parse_copy};
use flags::{Defs, Flags, Kind};
use healthcheck::parse_healthcheck;
use run::parse_run;

/// `KEY=VALUE` of ENV and LABEL; `no_delim` marks the legacy `ENV k v` form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
    pub no_delim: bool,
}

/// One name of an ARG instruction, with its default if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgDecl {
    pub key: String,
    pub value: Option<String>,
}

/// The command of RUN, CMD, ENTRYPOINT or HEALTHCHECK CMD.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommandLine {
    /// Exec form: the argv. Shell form: one string, to run with the SHELL.
    pub args: Vec<String>,
    /// Shell form (prepend the stage's SHELL).
    pub prepend_shell: bool,
    /// Heredoc bodies (RUN only).
    pub files: Vec<Heredoc>,
}

/// A COPY/ADD source given inline as a heredoc.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceContent {
    /// The heredoc name (the file name in the destination).
    pub path: String,
    /// The body, tabs already stripped for `<<-`.
    pub data: String,
    /// Expand variables in the body.
    pub expand: bool,
}

/// What COPY and ADD share: BuildKit's sources-and-destination and the
/// flags both take.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CopyFiles {
    pub sources: Vec<String>,
    pub contents: Vec<SourceContent>,
    pub dest: String,
    pub chown: Option<String>,
    pub chmod: Option<String>,
    /// `--link`: the layer is made on its own, as if on an empty image.
    pub link: bool,
    pub excludes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CopyCommand {
    pub files: CopyFiles,
    /// Stage name or index, or an image.
    pub from: Option<String>,
    pub parents: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddCommand {
    pub files: CopyFiles,
    pub keep_git_dir: Option<bool>,
    pub checksum: Option<String>,
    pub unpack: Option<bool>,
}

/// `RUN --network=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkMode {
    Default,
    None,
    Host,
}

/// `RUN --security=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    Sandbox,
    Insecure,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunCommand {
    pub cmd: CommandLine,
    /// Mounts parsed from the raw specs (values with `$` not yet expanded).
    pub mounts: Vec<Mount>,
    /// The raw `--mount` values, to re-parse with expansion at build time
    /// (`Mount::parse(spec, Some(&expander))`).
    pub mount_specs: Vec<String>,
    pub network: Option<NetworkMode>,
    pub security: Option<Security>,
    /// Flag names given (`mount`, `network`, `security`).
    pub flags_used: Vec<String>,
}

/// HEALTHCHECK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Healthcheck {
    /// `HEALTHCHECK NONE`: disable the base image's check.
    None,
    Check {
        /// `["CMD", argv...]` or `["CMD-SHELL", "cmd"]`, as in the image config.
        test: Vec<String>,
        interval: Duration,
        timeout: Duration,
        start_period: Duration,
        start_interval: Duration,
        retries: i64,
    },
}

/// Everything but FROM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Env(Vec<KeyValue>),
    Label(Vec<KeyValue>),
    Maintainer(String),
    Add(AddCommand),
    Copy(CopyCommand),
    Run(RunCommand),
    Cmd(CommandLine),
    Entrypoint(CommandLine),
    /// Ports as written, sorted like BuildKit.
    Expose(Vec<String>),
    User(String),
    Workdir(String),
    Volume(Vec<String>),
    StopSignal(String),
    Arg(Vec<ArgDecl>),
    /// Always the JSON form.
    Shell(Vec<String>),
    Healthcheck(Healthcheck),
    /// The trigger instruction as source text (heredocs appended).
    Onbuild(String),
}

impl Command {
    /// The upper-case keyword.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Env(_) => "ENV",
            Command::Label(_) => "LABEL",
            Command::Maintainer(_) => "MAINTAINER",
            Command::Add(_) => "ADD",
            Command::Copy(_) => "COPY",
            Command::Run(_) => "RUN",
            Command::Cmd(_) => "CMD",
            Command::Entrypoint(_) => "ENTRYPOINT",
            Command::Expose(_) => "EXPOSE",
            Command::User(_) => "USER",
            Command::Workdir(_) => "WORKDIR",
            Command::Volume(_) => "VOLUME",
            Command::StopSignal(_) => "STOPSIGNAL",
            Command::Arg(_) => "ARG",
            Command::Shell(_) => "SHELL",
            Command::Healthcheck(_) => "HEALTHCHECK",
            Command::Onbuild(_) => "ONBUILD",
        }
    }
}

/// A typed instruction with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    pub command: Command,
    pub lines: LineRange,
    /// The logical source line (continuations joined), for messages and
    /// cache keys.
    pub source: String,
}

/// `FROM [--platform=P] base [AS name]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FromInstruction {
    /// The base as written (may hold `$VARS` from global ARGs).
    pub base: String,
    /// Stage name, lower-cased.
    pub name: Option<String>,
    /// `--platform` as written.
    pub platform: Option<String>,
    /// The keywords as written, for the casing check: (`FROM`, `AS`).
    pub from_keyword: String,
    pub as_keyword: Option<String>,
    pub lines: LineRange,
    pub source: String,
    /// Comments directly above.
    pub comments: Vec<String>,
}

/// The result of typing one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    From(FromInstruction),
    Command(Instruction),
}

/// Every instruction keyword, upper-case.
pub const INSTRUCTIONS: &[&str] = &[
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

fn at_least_one(cmd: &str) -> String {
    format!("{cmd} requires at least one argument")
}

fn exactly_one(cmd: &str) -> String {
    format!("{cmd} requires exactly one argument")
}

fn flags_for(node: &Node, defs: Defs) -> Result<Flags, String> {
    flags_from_sets(node, &[defs])
}

/// The node's flags checked against several definition sets at once.
fn flags_from_sets(node: &Node, sets: &[Defs]) -> Result<Flags, String> {
    let mut f = Flags::new(sets);
    f.parse(&node.flags)?;
    Ok(f)
}

/// Type one instruction node.
pub fn parse_node(node: &Node) -> Result<Parsed, Error> {
    let loc = node.lines;
    parse_inner(node).map_err(|m| Error::at(m, loc))
}

fn parse_inner(node: &Node) -> Result<Parsed, String> {
    let kw = node.keyword();
    let args = node.args();
    let cmd = |command| {
        Ok(Parsed::Command(Instruction {
            command,
            lines: node.lines,
            source: node.original.clone(),
        }))
    };
    match kw.as_str() {
        "from" => parse_from(node, &args).map(Parsed::From),
        "env" | "label" => {
            let name = if kw == "env" { "ENV" } else { "LABEL" };
            flags_for(node, &[])?;
            let kvs = key_values(&args, name)?;
            cmd(if kw == "env" {
                Command::Env(kvs)
            } else {
                Command::Label(kvs)
            })
        }
        "maintainer" => {
            if args.len() != 1 {
                return Err(exactly_one("MAINTAINER"));
            }
            flags_for(node, &[])?;
            cmd(Command::Maintainer(args[0].to_string()))
        }
        "add" => cmd(Command::Add(parse_add(node, &args)?)),
        "copy" => cmd(Command::Copy(parse_copy(node, &args)?)),
        "run" => cmd(Command::Run(parse_run(node, &args)?)),
        "cmd" => {
            flags_for(node, &[])?;
            cmd(Command::Cmd(command_line(node, &args, false)))
        }
        "entrypoint" => {
            flags_for(node, &[])?;
            cmd(Command::Entrypoint(command_line(node, &args, true)))
        }
        "expose" => {
            if args.is_empty() {
                return Err(at_least_one("EXPOSE"));
            }
            flags_for(node, &[])?;
            let mut ports: Vec<String> = args.iter().map(|s| s.to_string()).collect();
            ports.sort();
            cmd(Command::Expose(ports))
        }
        "user" => {
            if args.len() != 1 {
                return Err(exactly_one("USER"));
            }
            flags_for(node, &[])?;
            cmd(Command::User(args[0].to_string()))
        }
        "workdir" => {
            if args.len() != 1 {
                return Err(exactly_one("WORKDIR"));
            }
            flags_for(node, &[])?;
            cmd(Command::Workdir(args[0].to_string()))
        }
        "volume" => {
            if args.is_empty() {
                return Err(at_least_one("VOLUME"));
            }
            flags_for(node, &[])?;
            let mut vols = Vec::new();
            for v in &args {
                let v = v.trim();
                if v.is_empty() {
                    return Err("VOLUME specified can not be an empty string".into());
                }
                vols.push(v.to_string());
            }
            cmd(Command::Volume(vols))
        }
        "stopsignal" => {
            if args.len() != 1 {
                return Err(exactly_one("STOPSIGNAL"));
            }
            cmd(Command::StopSignal(args[0].to_string()))
        }
        "arg" => {
            if args.is_empty() {
                return Err(at_least_one("ARG"));
            }
            let mut decls = Vec::new();
            for a in &args {
                match a.split_once('=') {
                    Some(("", _)) => return Err("ARG names can not be blank".into()),
                    Some((k, v)) => decls.push(ArgDecl {
                        key: k.to_string(),
                        value: Some(v.to_string()),
                    }),
                    None => decls.push(ArgDecl {
                        key: a.to_string(),
                        value: None,
                    }),
                }
            }
            cmd(Command::Arg(decls))
        }
        "shell" => {
            flags_for(node, &[])?;
            if args.is_empty() {
                return Err(at_least_one("SHELL"));
            }
            if !node.json {
                return Err("SHELL requires the arguments to be in JSON form".into());
            }
            cmd(Command::Shell(args.iter().map(|s| s.to_string()).collect()))
        }
        "healthcheck" => cmd(Command::Healthcheck(parse_healthcheck(node, &args)?)),
        "onbuild" => {
            if args.is_empty() && node.next.is_empty() {
                return Err(at_least_one("ONBUILD"));
            }
            flags_for(node, &[])?;
            let inner = node.next.first().and_then(|n| n.children.first());
            let trigger = inner.map(|n| n.value.to_uppercase()).unwrap_or_default();
            match trigger.as_str() {
                "ONBUILD" => {
                    return Err("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed".into())
                }
                "MAINTAINER" | "FROM" => {
                    return Err(format!("{trigger} isn't allowed as an ONBUILD trigger"))
                }
                _ => {}
            }
            let orig = node.original.trim_start();
            let mut expr = orig
                .get(..7)
                .filter(|p| p.eq_ignore_ascii_case("onbuild"))
                .map(|_| orig[7..].trim_start().to_string())
                .unwrap_or_else(|| orig.to_string());
            for h in &node.heredocs {
                expr.push('\n');
                expr.push_str(&h.content);
                expr.push_str(&h.name);
            }
            cmd(Command::Onbuild(expr))
        }
        _ => {
            let mut msg = format!("unknown instruction: {}", node.value);
            if let Some(s) = did_you_mean(&node.value, INSTRUCTIONS) {
                msg.push_str(&format!(" (did you mean {}?)", s.to_lowercase()));
            }
            Err(msg)
        }
    }
}

fn key_values(args: &[&str], name: &str) -> Result<Vec<KeyValue>, String> {
    if args.is_empty() {
        return Err(at_least_one(name));
    }
    if args.len() % 3 != 0 {
        return Err(format!("Bad input to {name}, too many arguments"));
    }
    let mut out = Vec::new();
    for c in args.chunks(3) {
        if c[0].is_empty() {
            return Err(format!("{name} names can not be blank"));
        }
        out.push(KeyValue {
            key: c[0].to_string(),
            value: c[1].to_string(),
            no_delim: c[2].is_empty(),
        });
    }
    Ok(out)
}

fn command_line(node: &Node, args: &[&str], _empty_as_nil: bool) -> CommandLine {
    let args = if node.json || args.is_empty() {
        args.iter().map(|s| s.to_string()).collect()
    } else {
        vec![args.join(" ")]
    };
    CommandLine {
        args,
        prepend_shell: !node.json,
        files: node.heredocs.clone(),
    }
}

fn parse_from(node: &Node, args: &[&str]) -> Result<FromInstruction, String> {
    let (name, as_keyword) = match args.len() {
        3 if args[1].eq_ignore_ascii_case("as") => {
            let name = args[2].to_lowercase();
            let valid = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                && name.chars().all(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.')
                });
            if !valid {
                return Err(format!(
                    "invalid name for build stage: \"{}\", name can't start with a number or contain symbols",
                    args[2]
                ));
            }
            (Some(name), Some(args[1].to_string()))
        }
        1 => (None, None),
        _ => return Err("FROM requires either one or three arguments".into()),
    };
    let f = flags_for(node, &[("platform", Kind::Str)])?;
    Ok(FromInstruction {
        base: args[0].to_string(),
        name,
        platform: f.string("platform"),
        from_keyword: node.value.clone(),
        as_keyword,
        lines: node.lines,
        source: node.original.trim().to_string(),
        comments: node.prev_comment.clone(),
    })
}
