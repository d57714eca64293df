//! One pattern and a list of them (moby/patternmatcher's `Pattern` and
//! `PatternMatcher`).

use std::sync::OnceLock;

use regex::Regex;

use crate::clean::clean_path;
use crate::Error;

/// How a pattern is matched once compiled. Plain patterns skip the regex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchType {
    /// No wildcard: string equality.
    Exact,
    /// `literal/**`: a string prefix.
    Prefix,
    /// `**literal`: a string suffix.
    Suffix,
    Regexp,
}

#[derive(Debug)]
struct Compiled {
    kind: MatchType,
    regex: Option<Regex>,
    source: String,
}

/// One cleaned pattern.
#[derive(Debug)]
pub struct Pattern {
    cleaned: String,
    depth: usize,
    exclusion: bool,
    compiled: OnceLock<Result<Compiled, String>>,
}

impl Pattern {
    /// The cleaned pattern, without `!`.
    pub fn as_str(&self) -> &str {
        &self.cleaned
    }

    /// True for a `!` exception.
    pub fn exclusion(&self) -> bool {
        self.exclusion
    }

    fn compiled(&self) -> Result<&Compiled, Error> {
        self.compiled
            .get_or_init(|| compile(&self.cleaned))
            .as_ref()
            .map_err(|e| Error::BadPattern(e.clone()))
    }

    /// How the pattern is matched (compiles it on first use).
    pub fn match_type(&self) -> Result<MatchType, Error> {
        self.compiled().map(|c| c.kind)
    }

    /// The regex source for [`MatchType::Regexp`] patterns.
    pub fn regex_source(&self) -> Result<Option<&str>, Error> {
        self.compiled()
            .map(|c| c.regex.as_ref().map(|_| c.source.as_str()))
    }

    /// Does the pattern match this exact path?
    pub fn matches(&self, path: &str) -> Result<bool, Error> {
        let c = self.compiled()?;
        let p = &self.cleaned;
        Ok(match c.kind {
            MatchType::Exact => path == p,
            MatchType::Prefix => path.starts_with(&p[..p.len() - 2]),
            MatchType::Suffix => {
                let suffix = &p[2..];
                path.ends_with(suffix) || suffix.strip_prefix('/').is_some_and(|s| s == path)
            }
            MatchType::Regexp => c.regex.as_ref().is_some_and(|r| r.is_match(path)),
        })
    }

    /// Matches any prefix `a`, `a/b`, ... of the (clean) parent directory.
    fn matches_any_prefix(&self, parent: &str) -> bool {
        let mut end = 0;
        for seg in parent.split('/') {
            end += seg.len();
            if self.matches(&parent[..end]).unwrap_or(false) {
                return true;
            }
            end += 1;
        }
        false
    }
}

/// Chars patternmatcher escapes before building the regex.
fn should_escape(c: char) -> bool {
    matches!(c, '.' | '+' | '(' | ')' | '|' | '{' | '}' | '$')
}

fn compile(pattern: &str) -> Result<Compiled, String> {
    let mut re = String::from("^");
    let mut kind = MatchType::Exact;
    let mut chars = pattern.chars().peekable();
    let mut i = 0;
    while let Some(ch) = chars.next() {
        match ch {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                if chars.peek() == Some(&'/') {
                    chars.next();
                }
                if chars.peek().is_none() {
                    if kind == MatchType::Exact {
                        kind = MatchType::Prefix;
                    } else {
                        re.push_str(".*");
                        kind = MatchType::Regexp;
                    }
                } else {
                    re.push_str("(.*/)?");
                    kind = MatchType::Regexp;
                }
                if i == 0 {
                    kind = MatchType::Suffix;
                }
            }
            '*' => {
                re.push_str("[^/]*");
                kind = MatchType::Regexp;
            }
            '?' => {
                re.push_str("[^/]");
                kind = MatchType::Regexp;
            }
            c if should_escape(c) => {
                re.push('\\');
                re.push(c);
            }
            '\\' => match chars.next() {
                Some(n) => {
                    re.push('\\');
                    re.push(n);
                    kind = MatchType::Regexp;
                }
                None => re.push('\\'),
            },
            '[' | ']' => {
                re.push(ch);
                kind = MatchType::Regexp;
            }
            c => re.push(c),
        }
        i += 1;
    }
    if kind != MatchType::Regexp {
        return Ok(Compiled {
            kind,
            regex: None,
            source: String::new(),
        });
    }
    re.push('$');
    let regex = Regex::new(&re).map_err(|e| e.to_string())?;
    Ok(Compiled {
        kind,
        regex: Some(regex),
        source: re,
    })
}

/// Go's `filepath.Match(pattern, ".")` error check: a `\` at the end, or a
/// malformed `[...]` class, is `ErrBadPattern`.
fn validate(pattern: &str) -> Result<(), Error> {
    let bad = || Error::BadPattern(pattern.to_string());
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    // One class element: a char, maybe escaped; `-`, `]` or the end are bad.
    let esc = |i: &mut usize| -> Result<(), Error> {
        match chars.get(*i) {
            None | Some('-') | Some(']') => return Err(bad()),
            Some('\\') => {
                *i += 1;
                if *i >= chars.len() {
                    return Err(bad());
                }
            }
            _ => {}
        }
        *i += 1;
        if *i >= chars.len() {
            return Err(bad());
        }
        Ok(())
    };
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                i += 1;
                if i >= chars.len() {
                    return Err(bad());
                }
                i += 1;
            }
            '[' => {
                i += 1;
                if chars.get(i) == Some(&'^') {
                    i += 1;
                }
                let mut n = 0;
                loop {
                    if chars.get(i) == Some(&']') && n > 0 {
                        i += 1;
                        break;
                    }
                    esc(&mut i)?;
                    if chars.get(i) == Some(&'-') {
                        i += 1;
                        esc(&mut i)?;
                    }
                    n += 1;
                }
            }
            _ => i += 1,
        }
    }
    Ok(())
}

/// Per-pattern results for a directory, handed to its children by
/// [`PatternMatcher::matches_using_parent_results`] during a tree walk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchInfo {
    parent_matched: Vec<bool>,
}

/// An ordered list of patterns; the last one that matches decides.
#[derive(Debug, Default)]
pub struct PatternMatcher {
    patterns: Vec<Pattern>,
    exclusions: bool,
}

impl PatternMatcher {
    /// Compile a pattern list: patterns are trimmed and cleaned, empty ones
    /// dropped; `!p` is an exception that re-includes what earlier patterns
    /// excluded.
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<PatternMatcher, Error> {
        let mut pm = PatternMatcher::default();
        for p in patterns {
            let p = p.as_ref().trim();
            if p.is_empty() {
                continue;
            }
            let p = clean_path(p);
            let (exclusion, body) = match p.strip_prefix('!') {
                Some("") => return Err(Error::IllegalExclusion),
                Some(rest) => (true, rest.to_string()),
                None => (false, p),
            };
            pm.exclusions |= exclusion;
            validate(&body)?;
            pm.patterns.push(Pattern {
                depth: body.split('/').count(),
                cleaned: body,
                exclusion,
                compiled: OnceLock::new(),
            });
        }
        Ok(pm)
    }

    /// Are there any `!` exceptions?
    pub fn exclusions(&self) -> bool {
        self.exclusions
    }

    pub fn patterns(&self) -> &[Pattern] {
        &self.patterns
    }

    /// Is `file` (slash-separated, relative to the context) excluded, either
    /// itself or through one of its parent directories?
    pub fn matches_or_parent_matches(&self, file: &str) -> Result<bool, Error> {
        let mut matched = false;
        let parent = parent_dir(file);
        for p in &self.patterns {
            if p.exclusion != matched {
                continue;
            }
            let mut m = p.matches(file)?;
            if !m && parent != "." {
                m = p.matches_any_prefix(&parent);
            }
            if m {
                matched = !p.exclusion;
            }
        }
        Ok(matched)
    }

    /// Deprecated upstream (`Matches`): checks only the ancestor whose depth
    /// equals the pattern's.
    pub fn matches(&self, file: &str) -> Result<bool, Error> {
        let mut matched = false;
        let parent = parent_dir(file);
        let parent_dirs: Vec<&str> = parent.split('/').collect();
        for p in &self.patterns {
            if p.exclusion != matched {
                continue;
            }
            let mut m = p.matches(file)?;
            if !m && parent != "." && p.depth <= parent_dirs.len() {
                m = p
                    .matches(&parent_dirs[..p.depth].join("/"))
                    .unwrap_or(false);
            }
            if m {
                matched = !p.exclusion;
            }
        }
        Ok(matched)
    }

    /// Deprecated upstream (`MatchesUsingParentResult`): `parent_matched` is
    /// the result for the parent directory.
    pub fn matches_using_parent_result(
        &self,
        file: &str,
        parent_matched: bool,
    ) -> Result<bool, Error> {
        let mut matched = parent_matched;
        for p in &self.patterns {
            if p.exclusion != matched {
                continue;
            }
            if p.matches(file)? {
                matched = !p.exclusion;
            }
        }
        Ok(matched)
    }

    /// For tree walks: `parent` is the [`MatchInfo`] of the parent directory
    /// (empty for the root or when unknown, which falls back to checking
    /// every ancestor). Returns the result and this path's `MatchInfo`.
    pub fn matches_using_parent_results(
        &self,
        file: &str,
        parent: &MatchInfo,
    ) -> Result<(bool, MatchInfo), Error> {
        let pm = &parent.parent_matched;
        if !pm.is_empty() && pm.len() != self.patterns.len() {
            return Err(Error::WrongMatchInfo);
        }
        let mut matched = false;
        let mut info = MatchInfo {
            parent_matched: vec![false; self.patterns.len()],
        };
        for (i, p) in self.patterns.iter().enumerate() {
            let mut m = pm.get(i).copied().unwrap_or(false);
            if !m {
                if p.exclusion != matched {
                    continue;
                }
                m = p.matches(file)?;
                if !m && pm.is_empty() {
                    let parent = parent_dir(file);
                    if parent != "." {
                        m = p.matches_any_prefix(&parent);
                    }
                }
            }
            info.parent_matched[i] = m;
            if m {
                matched = !p.exclusion;
            }
        }
        Ok((matched, info))
    }
}

/// Go's `filepath.Dir`: the cleaned path up to the last `/`, or `.`.
fn parent_dir(file: &str) -> String {
    match file.rfind('/') {
        Some(i) => clean_path(&file[..=i]),
        None => ".".to_string(),
    }
}
