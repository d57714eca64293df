//! Splitting a logical line into keyword, flags and the argument text.

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
///
/// BuildKit walks bytes here, which mangles non-ASCII flag values into
/// Latin-1 mojibake; this walks chars and keeps them intact.
pub(crate) fn extract_builder_flags(line: &str, escape: char) -> (&str, Vec<String>) {
    #[derive(PartialEq)]
    enum Phase {
        Spaces,
        Word,
        Quote,
    }
    let mut it = line.char_indices().peekable();
    let mut words = Vec::new();
    let mut phase = Phase::Spaces;
    let mut buf = String::new();
    let mut quote = '\0';
    let mut blank_ok = false;
    loop {
        let cur = it.next();
        if phase == Phase::Spaces {
            let Some((pos, ch)) = cur else { break };
            if ch.is_whitespace() {
                continue;
            }
            if ch != '-' || it.peek().map(|&(_, c)| c) != Some('-') {
                return (&line[pos..], words);
            }
            phase = Phase::Word;
        }
        let Some((pos, ch)) = cur else {
            if buf != "--" && (blank_ok || !buf.is_empty()) {
                words.push(buf);
            }
            break;
        };
        if phase == Phase::Word {
            if ch.is_whitespace() {
                phase = Phase::Spaces;
                if buf == "--" {
                    return (&line[pos..], words);
                }
                if blank_ok || !buf.is_empty() {
                    words.push(std::mem::take(&mut buf));
                }
                buf.clear();
                blank_ok = false;
                continue;
            }
            if ch == '\'' || ch == '"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
                continue;
            }
            let mut c = ch;
            if ch == escape {
                // An escape token at the very end is dropped.
                match it.next() {
                    None => continue,
                    Some((_, n)) => c = n,
                }
            }
            buf.push(c);
            continue;
        }
        // In a quote.
        if ch == quote {
            phase = Phase::Word;
            continue;
        }
        let mut c = ch;
        if ch == escape {
            match it.next() {
                None => {
                    phase = Phase::Word;
                    continue;
                }
                Some((_, n)) => c = n,
            }
        }
        buf.push(c);
    }
    ("", words)
}
