//! The one quote-aware word scanner of a Dockerfile line. BuildKit walks
//! the same states twice, for ENV/LABEL/ARG words (`parseWords`: quotes and
//! escape tokens stay for the expansion later) and for builder flags
//! (`extractBuilderFlags`: quotes go, an escape token keeps the next char).
//!
//! It walks chars, not bytes: BuildKit's byte walk mangles non-ASCII flag
//! values into Latin-1 mojibake; this keeps them intact.

use std::iter::Peekable;
use std::str::CharIndices;

/// What happens to quotes and escape tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Quoting {
    /// Quotes and escape tokens stay in the word; single quotes escape
    /// nothing.
    Keep,
    /// Quotes go; an escape token (in either quote too) keeps only the char
    /// after it.
    Remove,
}

/// One word as scanned.
pub(crate) struct Word {
    pub text: String,
    /// It had quotes, so it counts even when empty (`""`).
    pub quoted: bool,
    /// Where the whitespace that ended it is; `None` at the line's end.
    pub end: Option<usize>,
}

impl Word {
    /// Whether the word is one at all (an escape token alone at the end
    /// leaves nothing).
    pub fn counts(&self) -> bool {
        self.quoted || !self.text.is_empty()
    }
}

pub(crate) struct Words<'a> {
    line: &'a str,
    it: Peekable<CharIndices<'a>>,
    escape: char,
    keep: bool,
}

impl<'a> Words<'a> {
    pub fn new(line: &'a str, escape: char, quoting: Quoting) -> Self {
        Words {
            line,
            it: line.char_indices().peekable(),
            escape,
            keep: quoting == Quoting::Keep,
        }
    }

    /// Skip whitespace: the rest of the line from the next word on.
    pub fn rest(&mut self) -> &'a str {
        while self.it.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        match self.it.peek() {
            Some(&(pos, _)) => &self.line[pos..],
            None => "",
        }
    }

    /// The next word; `None` when only whitespace is left.
    pub fn next_word(&mut self) -> Option<Word> {
        self.rest();
        self.it.peek()?;
        let mut w = Word {
            text: String::new(),
            quoted: false,
            end: None,
        };
        let mut quote: Option<char> = None;
        while let Some((pos, ch)) = self.it.next() {
            let escapes = match quote {
                None if ch.is_whitespace() => {
                    w.end = Some(pos);
                    return Some(w);
                }
                None if ch == '\'' || ch == '"' => {
                    quote = Some(ch);
                    w.quoted = true;
                    self.keep_char(&mut w, ch);
                    continue;
                }
                Some(q) if ch == q => {
                    quote = None;
                    self.keep_char(&mut w, ch);
                    continue;
                }
                None => true,
                Some(q) => !self.keep || q != '\'',
            };
            if ch == self.escape && escapes {
                // An escape token at the very end is dropped (and ends a quote).
                match self.it.next() {
                    None => break,
                    Some((_, n)) => {
                        self.keep_char(&mut w, ch);
                        w.text.push(n);
                    }
                }
                continue;
            }
            w.text.push(ch);
        }
        Some(w)
    }

    /// Push a quote or escape token when they are kept.
    fn keep_char(&self, w: &mut Word, ch: char) {
        if self.keep {
            w.text.push(ch);
        }
    }
}
