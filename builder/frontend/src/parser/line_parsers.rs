//! Per-instruction argument parsers (BuildKit's `line_parsers.go` rules).

use super::node::{go_lower, Node};
use super::split::{split_command, split_ws};
use super::words::{Quoting, Words};
use crate::error::Error;
use crate::quote::go_quote;

pub(crate) const NOT_STRING_ARRAY: &str =
    "when using JSON array syntax, arrays must be comprised of strings only";

fn arg(value: impl Into<String>) -> Node {
    Node {
        value: value.into(),
        ..Node::default()
    }
}

/// Parsed arguments: the argument nodes and whether they came from JSON.
pub(crate) struct Parsed {
    pub next: Vec<Node>,
    pub json: bool,
}

fn plain(next: Vec<Node>) -> Parsed {
    Parsed { next, json: false }
}

/// Build the node for one logical line (keyword, flags, arguments).
pub(crate) fn node_from_line(line: String, escape: char) -> Result<Node, Error> {
    let (cmd, flags, args) = split_command(&line, escape)?;
    let parsed = parse_args(&cmd, args, escape)?;
    Ok(Node {
        value: cmd,
        next: parsed.next,
        flags,
        json: parsed.json,
        original: line,
        ..Node::default()
    })
}

fn parse_args(cmd: &str, args: &str, escape: char) -> Result<Parsed, Error> {
    Ok(match go_lower(cmd).as_str() {
        "add" | "copy" | "volume" => maybe_json_to_list(args)?,
        "cmd" | "entrypoint" | "run" | "shell" => maybe_json(args)?,
        "from" | "expose" => plain(whitespace_list(args)),
        "maintainer" | "stopsignal" | "user" | "workdir" => plain(if args.is_empty() {
            vec![]
        } else {
            vec![arg(args)]
        }),
        "arg" => plain(parse_words(args, escape).into_iter().map(arg).collect()),
        "env" => plain(name_val(args, "ENV", escape)?),
        "label" => plain(name_val(args, "LABEL", escape)?),
        "healthcheck" => health(args)?,
        "onbuild" => {
            if args.is_empty() {
                plain(vec![])
            } else {
                let inner = node_from_line(args.to_string(), escape)?;
                plain(vec![Node {
                    children: vec![inner],
                    ..Node::default()
                }])
            }
        }
        // Unknown keywords are not a parse error; the instruction layer
        // reports them (with a suggestion).
        _ => plain(vec![Node::default()]),
    })
}

fn whitespace_list(args: &str) -> Vec<Node> {
    if args.is_empty() {
        return vec![];
    }
    split_ws(args, None).into_iter().map(arg).collect()
}

/// Why an argument string is not a JSON array of strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonErr {
    /// Not JSON at all: the shell form is used.
    NotJson,
    /// A JSON array holding a non-string: an error.
    NotStrings,
}

/// BuildKit's JSON-form detection: a JSON array of strings, or why not.
pub fn parse_json(rest: &str) -> Result<Vec<String>, JsonErr> {
    let rest = rest.trim_start();
    if !rest.starts_with('[') {
        return Err(JsonErr::NotJson);
    }
    let values: Vec<serde_json::Value> =
        serde_json::from_str(rest).map_err(|_| JsonErr::NotJson)?;
    values
        .into_iter()
        .map(|v| match v {
            serde_json::Value::String(s) => Ok(s),
            _ => Err(JsonErr::NotStrings),
        })
        .collect()
}

fn maybe_json(args: &str) -> Result<Parsed, Error> {
    if args.is_empty() {
        return Ok(plain(vec![]));
    }
    match parse_json(args) {
        Ok(v) => Ok(Parsed {
            next: v.into_iter().map(arg).collect(),
            json: true,
        }),
        Err(JsonErr::NotStrings) => Err(Error::new(NOT_STRING_ARRAY)),
        Err(JsonErr::NotJson) => Ok(plain(vec![arg(args)])),
    }
}

fn maybe_json_to_list(args: &str) -> Result<Parsed, Error> {
    match parse_json(args) {
        Ok(v) => Ok(Parsed {
            next: v.into_iter().map(arg).collect(),
            json: true,
        }),
        Err(JsonErr::NotStrings) => Err(Error::new(NOT_STRING_ARRAY)),
        Err(JsonErr::NotJson) => Ok(plain(whitespace_list(args))),
    }
}

/// HEALTHCHECK: the type word, then a CMD-like rest.
fn health(args: &str) -> Result<Parsed, Error> {
    let sep = args.find(char::is_whitespace).unwrap_or(args.len());
    if sep == 0 {
        return Ok(plain(vec![]));
    }
    let rest = args[sep..].trim_start();
    let cmd = maybe_json(rest)?;
    let mut next = vec![arg(&args[..sep])];
    next.extend(cmd.next);
    Ok(Parsed {
        next,
        json: cmd.json,
    })
}

/// Quote-aware word splitting that keeps quotes and escapes (ENV, LABEL, ARG).
pub fn parse_words(rest: &str, escape: char) -> Vec<String> {
    let mut words = Words::new(rest, escape, Quoting::Keep);
    let mut out = Vec::new();
    while let Some(w) = words.next_word() {
        if w.counts() {
            out.push(w.text);
        }
    }
    out
}

/// ENV / LABEL: `k=v` pairs, or the legacy `k v` form.
fn name_val(rest: &str, key: &str, escape: char) -> Result<Vec<Node>, Error> {
    let words = parse_words(rest, escape);
    if words.is_empty() {
        return Ok(vec![]);
    }
    if !words[0].contains('=') {
        let parts = split_ws(rest, Some(2));
        if parts.len() < 2 {
            return Err(Error::new(format!("{key} must have two arguments")));
        }
        return Ok(vec![arg(parts[0]), arg(parts[1]), arg("")]);
    }
    let mut out = Vec::with_capacity(words.len() * 3);
    for w in &words {
        let Some((k, v)) = w.split_once('=') else {
            return Err(Error::new(format!(
                "Syntax error - can't find = in {}. Must be of the form: name=value",
                go_quote(w)
            )));
        };
        out.push(arg(k));
        out.push(arg(v));
        out.push(arg("="));
    }
    Ok(out)
}
