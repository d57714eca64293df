//! The parse tree: one [`Node`] per instruction, in BuildKit's shape.

use crate::error::LineRange;
use crate::quote::go_quote;

/// A heredoc attached to a RUN, COPY or ADD instruction.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Heredoc {
    /// The terminator word, quotes removed.
    pub name: String,
    /// File descriptor for RUN (`3<<EOF`), default 0.
    pub file_descriptor: u64,
    /// False when any part of the name was quoted: no variable expansion.
    pub expand: bool,
    /// `<<-`: leading tabs are stripped from the body (see [`chomp_heredoc_content`]).
    pub chomp: bool,
    /// Raw body, newlines included, tabs not yet stripped.
    pub content: String,
}

/// Strip leading tabs from every line, as `<<-` asks.
pub fn chomp_heredoc_content(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    for line in src.split_inclusive('\n') {
        out.push_str(line.trim_start_matches('\t'));
    }
    out
}

/// One instruction (or, inside `next`, one argument).
///
/// BuildKit links arguments as a `Next` chain; here they are the `next`
/// vector. An argument node has only `value`, except ONBUILD's single
/// argument, which holds the wrapped instruction in `children`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Node {
    /// The keyword as written (`RUN`, `run`, ...) or an argument's text.
    pub value: String,
    /// Arguments, in order.
    pub next: Vec<Node>,
    /// ONBUILD's wrapped instruction.
    pub children: Vec<Node>,
    /// `--flag[=value]` words before the arguments, quotes removed.
    pub flags: Vec<String>,
    /// The arguments came from a JSON array (exec form).
    pub json: bool,
    pub heredocs: Vec<Heredoc>,
    /// The logical line the node was parsed from (continuations joined).
    pub original: String,
    /// Physical lines this instruction spans (heredoc bodies included).
    pub lines: LineRange,
    /// Comment lines directly above the instruction.
    pub prev_comment: Vec<String>,
}

impl Node {
    /// The lower-cased keyword (`from`, `run`, ...).
    pub fn keyword(&self) -> String {
        go_lower(&self.value)
    }

    /// Argument values in order.
    pub fn args(&self) -> Vec<&str> {
        self.next.iter().map(|n| n.value.as_str()).collect()
    }

    /// The instruction in BuildKit's `Node.Dump()` format.
    pub fn dump(&self) -> String {
        let mut s = go_lower(&self.value);
        if !self.flags.is_empty() {
            s.push_str(" [");
            for (i, f) in self.flags.iter().enumerate() {
                if i > 0 {
                    s.push(' ');
                }
                s.push_str(&go_quote(f));
            }
            s.push(']');
        }
        for c in &self.children {
            s.push('(');
            s.push_str(&c.dump());
            s.push_str(")\n");
        }
        for n in &self.next {
            s.push(' ');
            if n.children.is_empty() {
                s.push_str(&go_quote(&n.value));
            } else {
                s.push_str(&n.dump());
            }
        }
        s.trim().to_string()
    }
}

/// Go's `strings.ToLower`: per-char simple lowercase (a char whose lowercase
/// is several chars, like `İ`, keeps only the first).
pub(crate) fn go_lower(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    s.chars()
        .map(|c| c.to_lowercase().next().unwrap_or(c))
        .collect()
}
