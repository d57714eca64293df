//! Parsing Go text/template source into nodes (see template.rs for what is
//! supported and why skiff has its own).

use serde_json::Value;

use super::template::{err, TemplateError};

#[derive(Debug, Clone)]
pub enum Node {
    Text(String),
    Action(Pipeline),
    If {
        cond: Pipeline,
        then: Vec<Node>,
        other: Vec<Node>,
    },
    With {
        cond: Pipeline,
        then: Vec<Node>,
        other: Vec<Node>,
    },
    Range {
        over: Pipeline,
        body: Vec<Node>,
        other: Vec<Node>,
    },
}

/// `cmd | cmd | ...`, with the action's text for error messages.
#[derive(Debug, Clone)]
pub struct Pipeline {
    pub cmds: Vec<Cmd>,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct Cmd {
    pub args: Vec<Arg>,
}

#[derive(Debug, Clone)]
pub enum Arg {
    /// `.A.B` (empty path: `.`)
    Dot(Vec<String>),
    /// `$.A.B` (empty path: `$`)
    Root(Vec<String>),
    Str(String),
    Num(Value),
    Bool(bool),
    Func(String),
    Sub(Pipeline),
}

impl Pipeline {
    /// The first field the pipeline names (`.ID` in `{{json .ID}}`).
    pub fn first_field(&self) -> Option<String> {
        self.cmds
            .iter()
            .flat_map(|c| &c.args)
            .find_map(|a| match a {
                Arg::Dot(p) | Arg::Root(p) if !p.is_empty() => Some(p.join(".")),
                Arg::Sub(p) => p.first_field(),
                _ => None,
            })
    }
}

/// Text between actions, or one action's inner text.
enum Item {
    Text(String),
    Action(String),
}

pub fn parse(src: &str) -> Result<Vec<Node>, TemplateError> {
    let items = split_actions(src)?;
    let mut pos = 0;
    let (nodes, end) = parse_list(&items, &mut pos)?;
    match end {
        Stop::Eof => Ok(nodes),
        Stop::End => Err(err("unexpected {{end}}")),
        Stop::Else(_) => Err(err("unexpected {{else}}")),
    }
}

/// Cut the source into text and actions, applying `{{-` / `-}}` trims and
/// dropping `{{/* comments */}}`.
fn split_actions(src: &str) -> Result<Vec<Item>, TemplateError> {
    let mut items = Vec::new();
    let mut rest = src;
    let mut trim_next = false;
    while let Some(start) = rest.find("{{") {
        let mut text = &rest[..start];
        if trim_next {
            text = text.trim_start();
        }
        let mut inner = &rest[start + 2..];
        if inner.starts_with("- ") || inner.starts_with("-\t") || inner.starts_with("-\n") {
            text = text.trim_end();
            inner = &inner[1..];
        }
        if !text.is_empty() {
            items.push(Item::Text(text.to_string()));
        }
        let end = action_end(inner).ok_or_else(|| err(format!("unclosed action in {src:?}")))?;
        let mut action = &inner[..end];
        trim_next = false;
        if action.ends_with(" -") || action.ends_with("\t-") || action.ends_with("\n-") {
            action = &action[..action.len() - 1];
            trim_next = true;
        }
        let action = action.trim();
        if !(action.starts_with("/*") && action.ends_with("*/")) {
            items.push(Item::Action(action.to_string()));
        }
        rest = &inner[end + 2..];
    }
    let text = if trim_next { rest.trim_start() } else { rest };
    if !text.is_empty() {
        items.push(Item::Text(text.to_string()));
    }
    Ok(items)
}

/// Where `}}` closes the action, skipping string literals.
fn action_end(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < b.len() {
        match (quote, b[i]) {
            (Some(b'"'), b'\\') => i += 1,
            (Some(q), c) if c == q => quote = None,
            (None, b'"') | (None, b'`') => quote = Some(b[i]),
            (None, b'}') if b.get(i + 1) == Some(&b'}') => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// What ended a list of nodes.
enum Stop {
    Eof,
    End,
    /// `{{else}}` (None) or `{{else if PIPELINE}}`.
    Else(Option<Pipeline>),
}

fn parse_list(items: &[Item], pos: &mut usize) -> Result<(Vec<Node>, Stop), TemplateError> {
    let mut nodes = Vec::new();
    while let Some(item) = items.get(*pos) {
        *pos += 1;
        let action = match item {
            Item::Text(t) => {
                nodes.push(Node::Text(t.clone()));
                continue;
            }
            Item::Action(a) => a,
        };
        let (word, rest) = match action.split_once(char::is_whitespace) {
            Some((w, r)) => (w, r.trim()),
            None => (action.as_str(), ""),
        };
        match word {
            "end" => return Ok((nodes, Stop::End)),
            "else" => {
                let cond = match rest.strip_prefix("if") {
                    Some(c) if c.starts_with(char::is_whitespace) => Some(pipeline(c.trim())?),
                    _ if rest.is_empty() => None,
                    _ => return Err(err(format!("unexpected {{{{{action}}}}}"))),
                };
                return Ok((nodes, Stop::Else(cond)));
            }
            "if" | "with" | "range" => {
                let cond = pipeline(rest)?;
                let (then, other) = branches(items, pos, word)?;
                nodes.push(match word {
                    "if" => Node::If { cond, then, other },
                    "with" => Node::With { cond, then, other },
                    _ => Node::Range {
                        over: cond,
                        body: then,
                        other,
                    },
                });
            }
            "define" | "template" | "block" | "break" | "continue" => {
                return Err(err(format!("{{{{{word}}}}} is not supported")))
            }
            _ => nodes.push(Node::Action(pipeline(action)?)),
        }
    }
    Ok((nodes, Stop::Eof))
}

/// The body of an if/with/range up to its `{{end}}`, and its else part.
fn branches(
    items: &[Item],
    pos: &mut usize,
    word: &str,
) -> Result<(Vec<Node>, Vec<Node>), TemplateError> {
    let (then, end) = parse_list(items, pos)?;
    let other = match end {
        Stop::Eof => {
            return Err(err(format!(
                "unexpected EOF: {{{{{word}}}}} without {{{{end}}}}"
            )))
        }
        Stop::End => Vec::new(),
        Stop::Else(None) => match parse_list(items, pos)? {
            (other, Stop::End) => other,
            _ => {
                return Err(err(format!(
                    "{{{{{word}}}}}: expected {{{{end}}}} after {{{{else}}}}"
                )))
            }
        },
        // `else if` nests an if that shares this one's {{end}}.
        Stop::Else(Some(cond)) => {
            let (then, other) = branches(items, pos, "else if")?;
            vec![Node::If { cond, then, other }]
        }
    };
    Ok((then, other))
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Pipe,
    Open,
    Close,
}

fn tokens(s: &str) -> Result<Vec<Tok>, TemplateError> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '|' => {
                chars.next();
                out.push(Tok::Pipe);
            }
            '(' => {
                chars.next();
                out.push(Tok::Open);
            }
            ')' => {
                chars.next();
                out.push(Tok::Close);
            }
            '"' => {
                chars.next();
                let mut v = String::new();
                loop {
                    match chars.next() {
                        None => return Err(err(format!("unterminated quoted string in {s:?}"))),
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some('n') => v.push('\n'),
                            Some('t') => v.push('\t'),
                            Some(o) => v.push(o),
                            None => {
                                return Err(err(format!("unterminated quoted string in {s:?}")))
                            }
                        },
                        Some(o) => v.push(o),
                    }
                }
                out.push(Tok::Str(v));
            }
            '`' => {
                chars.next();
                let v: String = chars.by_ref().take_while(|&c| c != '`').collect();
                out.push(Tok::Str(v));
            }
            _ => {
                let mut w = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || "|()\"`".contains(c) {
                        break;
                    }
                    w.push(c);
                    chars.next();
                }
                out.push(Tok::Word(w));
            }
        }
    }
    Ok(out)
}

fn pipeline(text: &str) -> Result<Pipeline, TemplateError> {
    let toks = tokens(text)?;
    let mut pos = 0;
    let p = pipeline_of(&toks, &mut pos, text)?;
    if pos != toks.len() {
        return Err(err(format!("unexpected \")\" in {{{{{text}}}}}")));
    }
    Ok(p)
}

fn pipeline_of(toks: &[Tok], pos: &mut usize, text: &str) -> Result<Pipeline, TemplateError> {
    let mut cmds = Vec::new();
    let mut args = Vec::new();
    while let Some(t) = toks.get(*pos) {
        match t {
            Tok::Close => break,
            Tok::Pipe => {
                *pos += 1;
                if args.is_empty() {
                    return Err(err(format!("missing command before | in {{{{{text}}}}}")));
                }
                cmds.push(Cmd {
                    args: std::mem::take(&mut args),
                });
                continue;
            }
            Tok::Open => {
                *pos += 1;
                let sub = pipeline_of(toks, pos, text)?;
                if toks.get(*pos) != Some(&Tok::Close) {
                    return Err(err(format!("unclosed left paren in {{{{{text}}}}}")));
                }
                *pos += 1;
                args.push(Arg::Sub(sub));
                continue;
            }
            Tok::Str(s) => args.push(Arg::Str(s.clone())),
            Tok::Word(w) => args.push(word(w, text)?),
        }
        *pos += 1;
    }
    if args.is_empty() {
        return Err(err(format!("missing value in {{{{{text}}}}}")));
    }
    cmds.push(Cmd { args });
    Ok(Pipeline {
        cmds,
        text: text.to_string(),
    })
}

fn word(w: &str, text: &str) -> Result<Arg, TemplateError> {
    let path = |p: &str| -> Vec<String> {
        p.split('.')
            .filter(|f| !f.is_empty())
            .map(str::to_string)
            .collect()
    };
    if let Some(p) = w.strip_prefix('$') {
        if !p.is_empty() && !p.starts_with('.') {
            return Err(err(format!(
                "variables are not supported: {w} in {{{{{text}}}}}"
            )));
        }
        return Ok(Arg::Root(path(p)));
    }
    if w.starts_with('.') {
        return Ok(Arg::Dot(path(w)));
    }
    match w {
        "true" => return Ok(Arg::Bool(true)),
        "false" => return Ok(Arg::Bool(false)),
        "nil" => return Ok(Arg::Num(Value::Null)),
        _ => {}
    }
    if w.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+') {
        return serde_json::from_str::<Value>(w.trim_start_matches('+'))
            .ok()
            .filter(Value::is_number)
            .map(Arg::Num)
            .ok_or_else(|| err(format!("bad number syntax: {w:?} in {{{{{text}}}}}")));
    }
    if w.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return Ok(Arg::Func(w.to_string()));
    }
    Err(err(format!("unexpected {w:?} in {{{{{text}}}}}")))
}
