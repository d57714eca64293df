//! Finding heredoc markers (`<<EOF`, `<<-EOF`, `3<<"EOF"`) in an instruction.

use super::node::Heredoc;
use crate::error::Error;
use crate::shell::{EmptyEnv, ShellLex};

fn is_re2_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\x0c' | '\r' | ' ')
}

/// `^(\d*)<<(-?)\s*([^<]*)$` by hand: (fd digits, chomp, rest).
fn match_heredoc(src: &str) -> Option<(&str, bool, &str)> {
    let digits = src.bytes().take_while(u8::is_ascii_digit).count();
    let rest = src[digits..].strip_prefix("<<")?;
    let (chomp, rest) = match rest.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let rest = rest.trim_start_matches(is_re2_space);
    if rest.contains('<') {
        return None;
    }
    Some((&src[..digits], chomp, rest))
}

/// Parse one word as a heredoc marker. `Ok(None)` when it is not one;
/// an error for a marker with unbalanced quotes (`<<'EOF`).
pub fn parse_heredoc(src: &str) -> Result<Option<Heredoc>, Error> {
    let Some((fd, chomp, rest)) = match_heredoc(src) else {
        return Ok(None);
    };
    if rest.is_empty() {
        return Ok(None);
    }
    let mut lex = ShellLex::new('\\');
    lex.skip_unset_env = true;
    let words = lex
        .process_words(rest, &EmptyEnv)
        .map_err(|e| Error::new(e.message))?;
    if words.len() != 1 {
        return Ok(None);
    }
    lex.raw_quotes = true;
    let raw = lex
        .process_words(rest, &EmptyEnv)
        .map_err(|e| Error::new(e.message))?;
    if raw.len() != words.len() {
        return Err(Error::new(format!(
            "internal lexing of heredoc produced inconsistent results: {rest}"
        )));
    }
    let quotes = |s: &str| s.chars().filter(|&c| c == '\'' || c == '"').count();
    let expand = quotes(&words[0]) == quotes(&raw[0]);
    Ok(Some(Heredoc {
        name: words[0].clone(),
        file_descriptor: fd.parse().unwrap_or(0),
        expand,
        chomp,
        content: String::new(),
    }))
}

/// The heredocs an instruction line declares, in order.
pub fn heredocs_from_line(line: &str) -> Result<Vec<Heredoc>, Error> {
    let mut lex = ShellLex::new('\\');
    lex.raw_quotes = true;
    lex.raw_escapes = true;
    lex.skip_unset_env = true;
    let words = lex.process_words(line, &EmptyEnv).unwrap_or_default();
    let mut docs = Vec::new();
    for w in words {
        if let Some(h) = parse_heredoc(&w)? {
            docs.push(h);
        }
    }
    Ok(docs)
}
