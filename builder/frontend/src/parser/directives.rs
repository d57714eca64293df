//! Parser directives (`# syntax=`, `# escape=`, `# check=`): only in the
//! leading comment block, each at most once.

use crate::error::Error;

/// A directive found at the top of the Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// Lower-cased key: `syntax`, `escape` or `check`.
    pub name: String,
    pub value: String,
    /// 1-based line of the directive.
    pub line: usize,
}

/// Scans lines until the first one that is not a directive.
#[derive(Debug, Default)]
pub(crate) struct DirectiveParser {
    line: usize,
    done: bool,
    pub(crate) found: Vec<Directive>,
}

/// RE2's `\s`: no vertical tab, ASCII only.
fn is_re2_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\x0c' | '\r' | ' ')
}

/// Match `^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$` by hand: key and value.
fn match_directive(s: &str) -> Option<(&str, &str)> {
    let bytes = s.as_bytes();
    if bytes.is_empty() || !bytes[0].is_ascii_alphabetic() {
        return None;
    }
    let key_end = bytes
        .iter()
        .position(|b| !b.is_ascii_alphanumeric())
        .unwrap_or(bytes.len());
    let key = &s[..key_end];
    let rest = s[key_end..].trim_start_matches(is_re2_space);
    let rest = rest.strip_prefix('=')?;
    if rest.is_empty() {
        return None;
    }
    let value = rest
        .trim_start_matches(is_re2_space)
        .trim_end_matches(is_re2_space);
    if !value.is_empty() {
        return Some((key, value));
    }
    // Only whitespace after `=`: the lazy `(.+?)` takes the last char.
    let last = rest.char_indices().last().map(|(i, _)| i).unwrap_or(0);
    Some((key, &rest[last..]))
}

impl DirectiveParser {
    /// Feed one line (newline already trimmed). Returns the directive when
    /// the line is one.
    pub(crate) fn parse_line(&mut self, line: &str) -> Result<Option<Directive>, Error> {
        self.line += 1;
        if self.done {
            return Ok(None);
        }
        let Some(rest) = line.strip_prefix('#') else {
            self.done = true;
            return Ok(None);
        };
        let Some((key, value)) = match_directive(rest.trim_start()) else {
            self.done = true;
            return Ok(None);
        };
        let key = key.to_ascii_lowercase();
        if !matches!(key.as_str(), "syntax" | "escape" | "check") {
            self.done = true;
            return Ok(None);
        }
        if self.found.iter().any(|d| d.name == key) {
            return Err(Error::new(format!(
                "only one {key} parser directive can be used"
            )));
        }
        let d = Directive {
            name: key,
            value: value.to_string(),
            line: self.line,
        };
        self.found.push(d.clone());
        Ok(Some(d))
    }
}
