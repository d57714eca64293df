//! The Dockerfile parser: bytes to a tree of [`Node`]s, exactly as BuildKit's
//! `parser.Parse` (directives, comments, continuations, heredocs, JSON vs
//! shell form, flags, line ranges).

mod directives;
mod heredoc;
mod line_parsers;
mod node;
mod split;
mod words;

pub use directives::Directive;
pub use heredoc::{heredocs_from_line, parse_heredoc};
pub use line_parsers::{parse_json, parse_words, JsonErr};
pub use node::{chomp_heredoc_content, Heredoc, Node};

use crate::error::{Error, LineRange};
use directives::DirectiveParser;

/// BuildKit's scanner limit: a physical line (newline included) may be at
/// most 64 KiB.
const MAX_LINE: usize = 64 * 1024;

/// A non-fatal finding of the parser (empty continuation lines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseWarning {
    pub short: String,
    pub detail: String,
    pub url: String,
    pub location: LineRange,
}

/// A parsed Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ast {
    /// One node per instruction, in file order.
    pub children: Vec<Node>,
    /// The escape token in effect (`\` or `` ` ``).
    pub escape: char,
    pub directives: Vec<Directive>,
    pub warnings: Vec<ParseWarning>,
    /// First line of the first instruction to last line of the last.
    pub lines: LineRange,
}

impl Ast {
    /// BuildKit's `AST.Dump()` plus the final newline: exactly what the
    /// parser vectors' `result` files hold.
    pub fn dump(&self) -> String {
        let mut s = String::new();
        for c in &self.children {
            s.push('(');
            s.push_str(&c.dump());
            s.push_str(")\n");
        }
        s
    }

    /// The value of a parser directive (`syntax`, `escape`, `check`).
    pub fn directive(&self, name: &str) -> Option<&str> {
        self.directives
            .iter()
            .find(|d| d.name == name)
            .map(|d| d.value.as_str())
    }
}

struct State {
    escape: char,
    directives: DirectiveParser,
}

impl State {
    /// Trim newlines (and leading space when asked), run the directive
    /// parser, and blank out comment lines.
    fn process_line<'a>(
        &mut self,
        line: &'a str,
        strip_left: bool,
    ) -> Result<(&'a str, bool), Error> {
        let mut token = line.trim_end_matches(['\r', '\n']);
        if strip_left {
            token = token.trim_start();
        }
        let mut ok = false;
        if let Some(d) = self.directives.parse_line(token)? {
            if d.name == "escape" {
                self.escape = match d.value.as_str() {
                    "`" => '`',
                    "\\" => '\\',
                    v => {
                        return Err(Error::new(format!(
                            "invalid escape token '{v}' does not match ` or \\"
                        )))
                    }
                };
            }
            ok = true;
        }
        if is_comment(token) {
            token = "";
        }
        Ok((token, ok))
    }

    /// Remove a trailing escape token (and spaces after it); returns the
    /// line and whether the instruction ends here. An escaped escape token
    /// (`\\`) at the end does not continue the line.
    fn trim_continuation<'a>(&self, line: &'a str) -> (&'a str, bool) {
        let t = line.trim_end_matches([' ', '\t']);
        if let Some(before) = t.strip_suffix(self.escape) {
            if before.is_empty() || !before.ends_with(self.escape) {
                return (before, false);
            }
        }
        (line, true)
    }
}

fn is_comment(line: &str) -> bool {
    match line.as_bytes().first() {
        Some(b'#') => true,
        Some(b) if b.is_ascii_alphanumeric() => false,
        _ => line.trim_start().starts_with('#'),
    }
}

/// Physical lines, each with its terminator.
struct Lines<'a> {
    rest: &'a str,
    count: usize,
}

impl<'a> Lines<'a> {
    fn next(&mut self) -> Result<Option<&'a str>, Error> {
        if self.rest.is_empty() {
            return Ok(None);
        }
        let end = memchr::memchr(b'\n', self.rest.as_bytes())
            .map(|i| i + 1)
            .unwrap_or(self.rest.len());
        if end > MAX_LINE {
            return Err(Error::at(
                format!(
                    "dockerfile line greater than max allowed size of {}",
                    MAX_LINE - 1
                ),
                LineRange::line(self.count + 1),
            ));
        }
        let (line, rest) = self.rest.split_at(end);
        self.rest = rest;
        self.count += 1;
        Ok(Some(line))
    }
}

/// Parse a Dockerfile. Invalid UTF-8 is replaced with U+FFFD first.
pub fn parse(bytes: &[u8]) -> Result<Ast, Error> {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse_str(text),
        Err(_) => parse_str(&String::from_utf8_lossy(bytes)),
    }
}

/// Parse a Dockerfile held in a string.
pub fn parse_str(text: &str) -> Result<Ast, Error> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut st = State {
        escape: '\\',
        directives: DirectiveParser::default(),
    };
    let mut lines = Lines {
        rest: text,
        count: 0,
    };
    // Nodes are large: reserve roughly one per 64 bytes to avoid regrowth.
    let mut children: Vec<Node> = Vec::with_capacity(text.len() / 64 + 4);
    let mut warnings = Vec::new();
    let mut comments: Vec<String> = Vec::new();
    let mut current = 0usize;

    while let Some(raw) = lines.next()? {
        if is_comment(raw) {
            let c = raw.trim_start()[1..].trim();
            if c.is_empty() {
                comments.clear();
            } else {
                comments.push(c.to_string());
            }
        }
        let (processed, directive) = st
            .process_line(raw, true)
            .map_err(|e| e.located(LineRange::line(current + 1)))?;
        if directive {
            comments.pop();
        }
        current += 1;
        let start = current;
        let (first, mut ended) = st.trim_continuation(processed);
        if ended && first.is_empty() {
            continue;
        }
        let mut buf = first.to_string();
        let mut empty_continuation = false;
        while !ended {
            let Some(raw) = lines.next()? else { break };
            let (p, _) = st
                .process_line(raw, false)
                .map_err(|e| e.located(LineRange::line(current + 1)))?;
            current += 1;
            if is_comment(raw) {
                continue;
            }
            if p.trim_end_matches(['\r', '\n']).trim_start().is_empty() {
                empty_continuation = true;
                continue;
            }
            let (p, e) = st.trim_continuation(p);
            ended = e;
            buf.push_str(p);
        }

        if empty_continuation {
            warnings.push(ParseWarning {
                short: format!("Empty continuation line found in: {buf}"),
                detail: "Empty continuation lines will become errors in a future release".into(),
                url: "https://docs.docker.com/go/dockerfile/rule/no-empty-continuation/".into(),
                location: LineRange::line(current),
            });
        }

        let range = LineRange::new(start, current);
        let mut child =
            line_parsers::node_from_line(buf, st.escape).map_err(|e| e.located(range))?;

        if can_contain_heredoc(&child) && child.original.contains("<<") {
            let docs = heredocs_from_line(&child.original).map_err(|e| e.located(range))?;
            for mut doc in docs {
                let mut terminated = false;
                let mut content = String::new();
                while let Some(raw) = lines.next()? {
                    current += 1;
                    let mut candidate = raw.trim_end_matches(['\r', '\n']);
                    if doc.chomp {
                        candidate = candidate.trim_start_matches('\t');
                    }
                    if candidate == doc.name {
                        terminated = true;
                        break;
                    }
                    content.push_str(raw);
                }
                if !terminated {
                    return Err(Error::at(
                        format!("unterminated heredoc {}", doc.name),
                        LineRange::new(start, current),
                    ));
                }
                doc.content = content;
                child.heredocs.push(doc);
            }
        }
        child.lines = LineRange::new(start, current);
        child.prev_comment = std::mem::take(&mut comments);
        children.push(child);
    }

    if children.is_empty() {
        return Err(Error::at(
            "file with no instructions",
            LineRange::line(current.max(1)),
        ));
    }
    let lines = LineRange::new(
        children[0].lines.start,
        children[children.len() - 1].lines.end,
    );
    Ok(Ast {
        children,
        escape: st.escape,
        directives: st.directives.found,
        warnings,
        lines,
    })
}

/// Heredocs are read for RUN, COPY and ADD in shell form, also under ONBUILD.
fn can_contain_heredoc(node: &Node) -> bool {
    let mut n = node;
    if n.keyword() == "onbuild" {
        if let Some(inner) = n.next.first().and_then(|a| a.children.first()) {
            n = inner;
        }
    }
    matches!(n.keyword().as_str(), "add" | "copy" | "run") && !n.json
}
