//! Splitting a logical line into keyword, flags and the argument text.

use super::words::{Quoting, Words};
use crate::error::Error;

/// BuildKit's `reWhitespace`: `[\t\v\f\r ]` (ASCII, no newline).
pub(crate) fn is_ws(b: u8) -> bool {
    matches!(b, b'\t' | 0x0b | 0x0c | b'\r' | b' ')
}

/// Go `reWhitespace.Split(s, n)` (n = None for -1): runs of `[\t\v\f\r ]`
/// separate pieces; a leading run gives an empty first piece.
pub(crate) fn split_ws(s: &str, n: Option<usize>) -> Vec<&str> {
    if s.is_empty() {
        return vec![""];
    }
    let b = s.as_bytes();
    let mut out = Vec::new();
    let (mut beg, mut end) = (0usize, 0usize);
    let mut i = 0;
    while i < b.len() {
        if !is_ws(b[i]) {
            i += 1;
            continue;
        }
        let ms = i;
        while i < b.len() && is_ws(b[i]) {
            i += 1;
        }
        if let Some(n) = n {
            if out.len() + 1 == n {
                break;
            }
        }
        end = ms;
        out.push(&s[beg..end]);
        beg = i;
    }
    if end != s.len() {
        out.push(&s[beg..]);
    }
    out
}

/// Keyword, flags and the trimmed rest of an instruction line.
pub(crate) fn split_command(
    line: &str,
    escape: char,
) -> Result<(String, Vec<String>, &str), Error> {
    let trimmed = line.trim();
    let parts = split_ws(trimmed, Some(2));
    let cmd = parts[0].to_string();
    let (args, flags) = if parts.len() == 2 {
        extract_builder_flags(parts[1], escape)
    } else {
        ("", Vec::new())
    };
    Ok((cmd, flags, args.trim()))
}

/// Read leading `--flag` words. Quotes are removed, the escape token keeps
/// the next char, a bare `--` ends the flags.
pub(crate) fn extract_builder_flags(line: &str, escape: char) -> (&str, Vec<String>) {
    let mut words = Words::new(line, escape, Quoting::Remove);
    let mut flags = Vec::new();
    loop {
        let rest = words.rest();
        if !rest.starts_with("--") {
            return (rest, flags);
        }
        let Some(w) = words.next_word() else {
            return ("", flags);
        };
        match w.end {
            Some(pos) if w.text == "--" => return (&line[pos..], flags),
            Some(_) if w.counts() => flags.push(w.text),
            Some(_) => {}
            None => {
                if w.text != "--" && w.counts() {
                    flags.push(w.text);
                }
                return ("", flags);
            }
        }
    }
}
