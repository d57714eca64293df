//! Shell patterns in `${V#p}`, `${V%p}` and `${V/p/r}`, turned into regexes
//! the way BuildKit does (`*`, `?` and `\` escapes; no bracket expressions).

use regex::Regex;

/// Convert a shell pattern into a regex. `greedy` picks `.*` over `.*?` for
/// `*`; `anchored` matches only at the start.
pub fn convert_shell_pattern(pattern: &str, greedy: bool, anchored: bool) -> Result<Regex, String> {
    let mut out = String::with_capacity(pattern.len() + 4);
    if anchored {
        out.push('^');
    }
    let star = if greedy { ".*" } else { ".*?" };
    let mut chars = pattern.chars().peekable();
    while let Some(tok) = chars.next() {
        match tok {
            '*' => out.push_str(star),
            '?' => out.push('.'),
            '\\' => {
                // `\}` and `\/` only protect the ${} syntax; the backslash is
                // not part of the pattern.
                if matches!(chars.peek(), Some('}' | '/')) {
                    continue;
                }
                match chars.next() {
                    Some(c @ ('*' | '?' | '\\')) => {
                        out.push('\\');
                        out.push(c);
                    }
                    Some(c) => return Err(format!("invalid escape '\\{c}'")),
                    None => return Err("invalid escape '\\'".to_string()),
                }
            }
            '[' | ']' | '{' | '}' | '.' | '+' | '(' | ')' | '|' | '^' | '$' => {
                out.push('\\');
                out.push(tok);
            }
            _ => {
                let mut buf = [0u8; 4];
                out.push_str(&regex::escape(tok.encode_utf8(&mut buf)));
            }
        }
    }
    Regex::new(&out).map_err(|e| e.to_string())
}

/// Reverse a pattern, keeping `\x` escapes in front of their char
/// (`a\*c` becomes `c\*a`).
pub fn reverse_pattern(pattern: &str) -> String {
    let runes: Vec<char> = pattern.chars().collect();
    let mut out = vec!['\0'; runes.len()];
    let last = runes.len().saturating_sub(1);
    let mut i = 0;
    while i < runes.len() {
        let tok = runes[i];
        let o = last - i;
        if tok == '\\' && i != last {
            out[o - 1] = tok;
            out[o] = runes[i + 1];
            i += 2;
        } else {
            out[o] = tok;
            i += 1;
        }
    }
    out.into_iter().collect()
}
