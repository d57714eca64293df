//! Shell-word processing exactly as BuildKit's `shell.Lex`: quotes, escapes,
//! `$V` / `${V…}` expansion and word splitting.
//!
//! The lexer is a small recursive-descent scanner over chars. Nested
//! `${…}` modifier words are processed by a recursive `process_stop_on`,
//! each with its own word buffer (BuildKit shares one buffer there, which can
//! drop a word prefix in `ProcessWords`; no vector depends on that bug).

use std::collections::BTreeSet;

use super::env::EnvGetter;
use super::pattern::{convert_shell_pattern, reverse_pattern};
use crate::quote::go_quote;

/// Errors from word processing; the message matches BuildKit's wording
/// (`failed to process "<word>": <reason>`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct LexError {
    pub message: String,
}

fn err<T>(msg: impl Into<String>) -> Result<T, LexError> {
    Err(LexError {
        message: msg.into(),
    })
}

/// The shell lexer. `escape` is the Dockerfile's escape token (`\` or `` ` ``).
///
/// The option flags mirror BuildKit's: `raw_quotes` keeps quote characters in
/// the output, `raw_escapes` keeps escape tokens, `skip_process_quotes`
/// treats quotes as ordinary characters, and `skip_unset_env` leaves
/// references to unset variables as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShellLex {
    pub escape: char,
    pub raw_quotes: bool,
    pub raw_escapes: bool,
    pub skip_process_quotes: bool,
    pub skip_unset_env: bool,
}

impl Default for ShellLex {
    fn default() -> Self {
        ShellLex::new('\\')
    }
}

/// What one word expanded to, and which variables it looked at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessResult {
    /// The word with quotes removed and variables expanded (ProcessWord).
    pub result: String,
    /// The same, split into words (ProcessWords).
    pub words: Vec<String>,
    /// Names looked up and found (even when set to "").
    pub matched: BTreeSet<String>,
    /// Names looked up and not found.
    pub unmatched: BTreeSet<String>,
}

impl ShellLex {
    pub fn new(escape: char) -> ShellLex {
        ShellLex {
            escape,
            raw_quotes: false,
            raw_escapes: false,
            skip_process_quotes: false,
            skip_unset_env: false,
        }
    }

    /// Expand one word (BuildKit `ProcessWord`): spaces inside are kept.
    pub fn process_word(&self, word: &str, env: &dyn EnvGetter) -> Result<String, LexError> {
        if !self.is_special(word) {
            return Ok(word.to_string());
        }
        self.process(word, env).map(|r| r.result)
    }

    /// Does the word need the scanner (anything to expand or unquote)?
    fn is_special(&self, word: &str) -> bool {
        word.contains(['$', '\'', '"', '<', self.escape])
    }

    /// Expand and split into words (BuildKit `ProcessWords`).
    pub fn process_words(&self, word: &str, env: &dyn EnvGetter) -> Result<Vec<String>, LexError> {
        self.process(word, env).map(|r| r.words)
    }

    /// Expand one word and report which variables were used
    /// (BuildKit `ProcessWordWithMatches`).
    pub fn process_word_with_matches(
        &self,
        word: &str,
        env: &dyn EnvGetter,
    ) -> Result<ProcessResult, LexError> {
        self.process(word, env)
    }

    /// Expand one word and also return the names that were not set; the
    /// frontend uses that for "undefined variable" warnings.
    pub fn process(&self, word: &str, env: &dyn EnvGetter) -> Result<ProcessResult, LexError> {
        // Most words have nothing to expand or unquote: skip the scanner.
        if !self.is_special(word) {
            return Ok(ProcessResult {
                result: word.to_string(),
                words: word.split_whitespace().map(str::to_string).collect(),
                ..ProcessResult::default()
            });
        }
        let mut sw = ShellWord {
            lex: self,
            src: word,
            pos: 0,
            env,
            raw_escapes: self.raw_escapes,
            matched: BTreeSet::new(),
            unmatched: BTreeSet::new(),
        };
        match sw.process_stop_on(None, self.raw_escapes) {
            Ok((result, words)) => Ok(ProcessResult {
                result,
                words,
                matched: sw.matched,
                unmatched: sw.unmatched,
            }),
            Err(e) => err(format!(
                "failed to process {}: {}",
                go_quote(word),
                e.message
            )),
        }
    }
}

/// Word accumulator used for splitting: unquoted whitespace ends a word,
/// "raw" text (quoted or escaped) never does.
#[derive(Default)]
struct Words {
    buf: String,
    words: Vec<String>,
    in_word: bool,
}

impl Words {
    fn add_char(&mut self, ch: char) {
        if ch.is_whitespace() {
            if self.in_word && !self.buf.is_empty() {
                self.words.push(std::mem::take(&mut self.buf));
                self.in_word = false;
            }
        } else {
            self.add_raw_char(ch);
        }
    }

    fn add_raw_char(&mut self, ch: char) {
        self.buf.push(ch);
        self.in_word = true;
    }

    fn add_string(&mut self, s: &str) {
        for ch in s.chars() {
            self.add_char(ch);
        }
    }

    fn add_raw_string(&mut self, s: &str) {
        self.buf.push_str(s);
        self.in_word = true;
    }

    fn finish(mut self) -> Vec<String> {
        if !self.buf.is_empty() {
            self.words.push(self.buf);
        }
        self.words
    }
}

struct ShellWord<'a> {
    lex: &'a ShellLex,
    src: &'a str,
    pos: usize,
    env: &'a dyn EnvGetter,
    raw_escapes: bool,
    matched: BTreeSet<String>,
    unmatched: BTreeSet<String>,
}

impl ShellWord<'_> {
    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn next(&mut self) -> Option<char> {
        let ch = self.peek()?;
        self.pos += ch.len_utf8();
        Some(ch)
    }

    fn process_stop_on(
        &mut self,
        stop: Option<char>,
        raw_escapes: bool,
    ) -> Result<(String, Vec<String>), LexError> {
        let saved = self.raw_escapes;
        self.raw_escapes = raw_escapes;
        let r = self.stop_on_inner(stop);
        self.raw_escapes = saved;
        r
    }

    fn stop_on_inner(&mut self, stop: Option<char>) -> Result<(String, Vec<String>), LexError> {
        let mut result = String::new();
        let mut words = Words::default();
        let quotes = !self.lex.skip_process_quotes;
        while let Some(ch) = self.peek() {
            if stop == Some(ch) {
                self.next();
                return Ok((result, words.finish()));
            }
            match ch {
                '$' => {
                    let tmp = self.process_dollar()?;
                    result.push_str(&tmp);
                    words.add_string(&tmp);
                }
                '<' => {
                    let tmp = self.process_possible_heredoc();
                    result.push_str(&tmp);
                    words.add_raw_string(&tmp);
                }
                '\'' if quotes => {
                    let tmp = self.process_single_quote()?;
                    result.push_str(&tmp);
                    words.add_raw_string(&tmp);
                }
                '"' if quotes => {
                    let tmp = self.process_double_quote()?;
                    result.push_str(&tmp);
                    words.add_raw_string(&tmp);
                }
                _ => {
                    self.next();
                    let mut ch = ch;
                    if ch == self.lex.escape {
                        if self.raw_escapes {
                            words.add_raw_char(ch);
                            result.push(ch);
                        }
                        // The escape token takes the next char literally;
                        // at the end of the word it is dropped.
                        match self.next() {
                            None => break,
                            Some(c) => ch = c,
                        }
                        words.add_raw_char(ch);
                    } else {
                        words.add_char(ch);
                    }
                    result.push(ch);
                }
            }
        }
        if let Some(stop) = stop {
            return err(format!(
                "unexpected end of statement while looking for matching {stop}"
            ));
        }
        Ok((result, words.finish()))
    }

    /// Takes the quote at the cursor (opening or closing); it stays in the
    /// word only when quotes are kept raw.
    fn take_quote(&mut self, result: &mut String) {
        let q = self.next();
        if self.lex.raw_quotes {
            result.extend(q);
        }
    }

    /// A quoted span: the quote framing (kept only with raw quotes; an
    /// error when never closed) around what `piece` reads, one piece a call.
    fn quoted(
        &mut self,
        quote: char,
        name: &str,
        piece: fn(&mut Self, &mut String) -> Result<(), LexError>,
    ) -> Result<String, LexError> {
        let mut result = String::new();
        self.take_quote(&mut result);
        loop {
            match self.peek() {
                None => {
                    return err(format!(
                        "unexpected end of statement while looking for matching {name}"
                    ))
                }
                Some(c) if c == quote => {
                    self.take_quote(&mut result);
                    return Ok(result);
                }
                Some(_) => piece(self, &mut result)?,
            }
        }
    }

    fn process_single_quote(&mut self) -> Result<String, LexError> {
        // Nothing is special inside single quotes.
        self.quoted('\'', "single-quote", |lexer, result| {
            result.extend(lexer.next());
            Ok(())
        })
    }

    fn process_double_quote(&mut self) -> Result<String, LexError> {
        self.quoted('"', "double-quote", Self::double_quoted_piece)
    }

    /// One piece inside double quotes: a `$` expansion, or a character.
    fn double_quoted_piece(&mut self, result: &mut String) -> Result<(), LexError> {
        if self.peek() == Some('$') {
            let v = self.process_dollar()?;
            result.push_str(&v);
            return Ok(());
        }
        let mut ch = self.next().unwrap_or_default();
        if ch == self.lex.escape {
            if self.raw_escapes {
                result.push(ch);
            }
            match self.peek() {
                // An escape token right before the end is dropped.
                None => return Ok(()),
                // Inside double quotes only ", $ and the escape token
                // itself can be escaped.
                Some(c) if c == '"' || c == '$' || c == self.lex.escape => {
                    self.next();
                    ch = c;
                }
                Some(_) => {}
            }
        }
        result.push(ch);
        Ok(())
    }

    fn get_env(&mut self, name: &str) -> Option<String> {
        match self.env.get(name) {
            Some(v) => {
                if !self.matched.contains(name) {
                    self.matched.insert(name.to_string());
                }
                Some(v.to_string())
            }
            None => {
                if !self.unmatched.contains(name) {
                    self.unmatched.insert(name.to_string());
                }
                None
            }
        }
    }

    fn process_dollar(&mut self) -> Result<String, LexError> {
        self.next(); // '$'
        if self.peek() != Some('{') {
            let name = self.process_name();
            if name.is_empty() {
                return Ok("$".to_string());
            }
            return Ok(match self.get_env(&name) {
                Some(v) => v,
                None if self.lex.skip_unset_env => format!("${name}"),
                None => String::new(),
            });
        }
        self.next(); // '{'
        match self.peek() {
            None => return err("syntax error: missing '}'"),
            Some('{' | '}' | ':') => return err("syntax error: bad substitution"),
            _ => {}
        }
        let name = self.process_name();
        let first = self.next();
        let mut chs: String = first.map(String::from).unwrap_or_else(|| "\u{FFFD}".into());
        let mut ch = first;
        let mut null_is_unset = false;
        match ch {
            Some('}') => {
                return Ok(match self.get_env(&name) {
                    Some(v) => v,
                    None if self.lex.skip_unset_env => format!("${{{name}}}"),
                    None => String::new(),
                });
            }
            Some('/') => return self.process_replace(&name),
            Some(':') => {
                null_is_unset = true;
                ch = self.next();
                chs.push(ch.unwrap_or('\u{FFFD}'));
            }
            Some('+' | '-' | '?' | '#' | '%') => {}
            _ => return err(format!("unsupported modifier ({chs}) in substitution")),
        }

        let raw = matches!(ch, Some('#' | '%'));
        if null_is_unset && raw {
            return err(format!("unsupported modifier ({chs}) in substitution"));
        }
        let word = self.word_until('}', raw, "syntax error: missing '}'")?;
        let value = self.get_env(&name);
        let value = match value {
            None if self.lex.skip_unset_env => return Ok(format!("${{{name}{chs}{word}}}")),
            v => v,
        };
        let empty = value
            .as_deref()
            .is_none_or(|v| null_is_unset && v.is_empty());
        match ch {
            Some('-') => Ok(if empty {
                word
            } else {
                value.unwrap_or_default()
            }),
            Some('+') => Ok(if empty { String::new() } else { word }),
            Some('?') => match value {
                None => {
                    let msg = if word.is_empty() {
                        "is not allowed to be unset"
                    } else {
                        &word
                    };
                    err(format!("{name}: {msg}"))
                }
                Some(v) if null_is_unset && v.is_empty() => {
                    let msg = if word.is_empty() {
                        "is not allowed to be empty"
                    } else {
                        &word
                    };
                    err(format!("{name}: {msg}"))
                }
                Some(v) => Ok(v),
            },
            Some(c @ ('%' | '#')) => {
                // `%`/`#` strip the shortest match, `%%`/`##` the longest.
                let (greedy, pat) = match word.strip_prefix(c) {
                    Some(rest) => (true, rest),
                    None => (false, word.as_str()),
                };
                let value = value.unwrap_or_default();
                if c == '%' {
                    trim_suffix(pat, &value, greedy)
                } else {
                    trim_prefix(pat, &value, greedy)
                }
            }
            _ => err(format!("unsupported modifier ({chs}) in substitution")),
        }
    }

    /// The word up to `stop`; running out of input first is `missing`.
    fn word_until(&mut self, stop: char, raw: bool, missing: &str) -> Result<String, LexError> {
        match self.process_stop_on(Some(stop), raw) {
            Ok((w, _)) => Ok(w),
            Err(_) if self.peek().is_none() => err(missing),
            Err(e) => Err(e),
        }
    }

    fn process_replace(&mut self, name: &str) -> Result<String, LexError> {
        let all = self.peek() == Some('/');
        if all {
            self.next();
        }
        let pattern = self.word_until('/', true, "syntax error: missing '/' in ${}")?;
        let replacement = self.word_until('}', true, "syntax error: missing '}'")?;
        let value = match self.get_env(name) {
            None if self.lex.skip_unset_env => {
                return Ok(format!("${{{name}/{pattern}/{replacement}}}"))
            }
            v => v.unwrap_or_default(),
        };
        let re = convert_shell_pattern(&pattern, true, false).map_err(|e| LexError {
            message: format!("invalid pattern ({pattern}) in substitution: {e}"),
        })?;
        if all {
            // Like Go's ReplaceAllString: `$1`/`${name}` in the replacement
            // refer to groups (the pattern has none, so they expand to "").
            Ok(re.replace_all(&value, replacement.as_str()).into_owned())
        } else if let Some(m) = re.find(&value) {
            Ok(format!(
                "{}{}{}",
                &value[..m.start()],
                replacement,
                &value[m.end()..]
            ))
        } else {
            Ok(value)
        }
    }

    fn process_name(&mut self) -> String {
        let mut name = String::new();
        while let Some(ch) = self.peek() {
            if name.is_empty() && ch.is_numeric() {
                // A positional parameter: all the digits.
                while let Some(c) = self.peek() {
                    if !c.is_numeric() {
                        break;
                    }
                    self.next();
                    name.push(c);
                }
                return name;
            }
            if name.is_empty() && matches!(ch, '@' | '*' | '#' | '?' | '-' | '$' | '!' | '0') {
                self.next();
                return ch.to_string();
            }
            if !ch.is_alphabetic() && !ch.is_numeric() && ch != '_' {
                break;
            }
            self.next();
            name.push(ch);
        }
        name
    }

    fn process_possible_heredoc(&mut self) -> String {
        self.next();
        if self.peek() != Some('<') {
            return "<".to_string();
        }
        self.next();
        let mut out = String::from("<<");
        while let Some(c @ ('\t' | '\r' | ' ')) = self.peek() {
            self.next();
            out.push(c);
        }
        out
    }
}

fn trim_prefix(pattern: &str, value: &str, greedy: bool) -> Result<String, LexError> {
    let re = convert_shell_pattern(pattern, greedy, true).map_err(|e| LexError {
        message: format!("invalid pattern ({pattern}) in substitution: {e}"),
    })?;
    Ok(match re.find(value) {
        Some(m) => value[m.end()..].to_string(),
        None => value.to_string(),
    })
}

/// Regexes cannot find the shortest rightmost match, so reverse both the
/// value and the pattern and strip a prefix instead.
fn trim_suffix(pattern: &str, value: &str, greedy: bool) -> Result<String, LexError> {
    let rp = reverse_pattern(pattern);
    let rv: String = value.chars().rev().collect();
    let out = trim_prefix(&rp, &rv, greedy)?;
    Ok(out.chars().rev().collect())
}
