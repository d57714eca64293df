//! Lint warnings in the spirit of `docker build --check` (BuildKit's linter
//! rules): same rule names, messages and documentation links.

use crate::error::LineRange;
use crate::instructions::{Command, FromInstruction, Instruction};
use crate::parser::ParseWarning;

/// A non-fatal problem found while parsing or planning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// BuildKit's rule name (`FromAsCasing`, `UndefinedVar`, ...).
    pub rule: String,
    pub message: String,
    pub url: String,
    pub location: Option<LineRange>,
}

fn url(slug: &str) -> String {
    format!("https://docs.docker.com/go/dockerfile/rule/{slug}/")
}

impl Warning {
    fn new(rule: &str, slug: &str, message: String, location: Option<LineRange>) -> Warning {
        Warning {
            rule: rule.to_string(),
            message,
            url: url(slug),
            location,
        }
    }

    pub(crate) fn from_parser(w: &ParseWarning) -> Warning {
        Warning {
            rule: "NoEmptyContinuation".into(),
            message: w.short.clone(),
            url: w.url.clone(),
            location: Some(w.location),
        }
    }

    pub(crate) fn undefined_var(name: &str, at: LineRange) -> Warning {
        Warning::new(
            "UndefinedVar",
            "undefined-var",
            format!("Usage of undefined variable '${name}'"),
            Some(at),
        )
    }

    pub(crate) fn unused_build_args(names: &[&String]) -> Warning {
        let list: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
        Warning {
            rule: "UnusedBuildArgs".into(),
            message: format!(
                "One or more build-args [{}] were not consumed",
                list.join(" ")
            ),
            url: String::new(),
            location: None,
        }
    }

    pub(crate) fn unknown_stage(what: &str, r: &str, at: LineRange) -> Warning {
        Warning {
            rule: "UnknownStage".into(),
            message: format!("{what}={r}: no stage named \"{r}\", it will be pulled as an image"),
            url: String::new(),
            location: Some(at),
        }
    }
}

fn casing(s: &str) -> Option<bool> {
    if s == s.to_uppercase() {
        Some(true)
    } else if s == s.to_lowercase() {
        Some(false)
    } else {
        None
    }
}

/// FROM-line rules: FromAsCasing, StageNameCasing.
pub(crate) fn from_instruction(f: &FromInstruction) -> Vec<Warning> {
    let mut out = Vec::new();
    if let Some(as_kw) = &f.as_keyword {
        let from_upper = casing(&f.from_keyword);
        if from_upper.is_some() && casing(as_kw) != from_upper {
            out.push(Warning::new(
                "FromAsCasing",
                "from-as-casing",
                format!(
                    "'{as_kw}' and '{}' keywords' casing do not match",
                    f.from_keyword
                ),
                Some(f.lines),
            ));
        }
    }
    if let Some(stage) = f
        .source
        .split_whitespace()
        .last()
        .filter(|_| f.name.is_some())
    {
        if stage != stage.to_lowercase() {
            out.push(Warning::new(
                "StageNameCasing",
                "stage-name-casing",
                format!("Stage name '{stage}' should be lowercase"),
                Some(f.lines),
            ));
        }
    }
    out
}

/// Per-stage rules: JSONArgsRecommended, MultipleInstructionsDisallowed,
/// MaintainerDeprecated, LegacyKeyValueFormat.
pub(crate) fn stage_rules(instructions: &[Instruction]) -> Vec<Warning> {
    let mut out = Vec::new();
    let mut last_cmd: Option<&Instruction> = None;
    let mut last_ep: Option<&Instruction> = None;
    for ins in instructions {
        match &ins.command {
            Command::Cmd(c) | Command::Entrypoint(c) => {
                let name = ins.command.name();
                if c.prepend_shell && !c.args.is_empty() {
                    out.push(Warning::new(
                        "JSONArgsRecommended",
                        "json-args-recommended",
                        format!("JSON arguments recommended for {name} to prevent unintended behavior related to OS signals"),
                        Some(ins.lines),
                    ));
                }
                let slot = if name == "CMD" {
                    &mut last_cmd
                } else {
                    &mut last_ep
                };
                if let Some(prev) = slot.replace(ins) {
                    out.push(Warning::new(
                        "MultipleInstructionsDisallowed",
                        "multiple-instructions-disallowed",
                        format!("Multiple {name} instructions should not be used in the same stage because only the last one will be used"),
                        Some(prev.lines),
                    ));
                }
            }
            Command::Maintainer(_) => out.push(Warning::new(
                "MaintainerDeprecated",
                "maintainer-deprecated",
                "Maintainer instruction is deprecated in favor of using label".into(),
                Some(ins.lines),
            )),
            Command::Env(kvs) | Command::Label(kvs) if kvs.iter().any(|k| k.no_delim) => {
                let name = ins.command.name();
                out.push(Warning::new(
                    "LegacyKeyValueFormat",
                    "legacy-key-value-format",
                    format!("\"{name} key=value\" should be used instead of legacy \"{name} key value\" format"),
                    Some(ins.lines),
                ));
            }
            _ => {}
        }
    }
    out
}
