//! `.dockerignore` files and pattern matching with the exact semantics of
//! moby/patternmatcher (what docker and BuildKit use):
//!
//! * [`read_ignore_file`] reads a `.dockerignore` into its pattern list
//!   (comments, `!` exceptions, cleaned paths, leading `/` dropped);
//! * [`PatternMatcher`] matches slash-separated paths relative to the context
//!   root: `*`, `?`, `[...]`, `**`, `\` escapes, the last matching pattern
//!   wins, and a pattern matching a parent directory matches its contents;
//! * [`ignore_file_for`] finds the ignore file for a Dockerfile
//!   (`<Dockerfile>.dockerignore` next to it wins over the context's
//!   `.dockerignore`).
//!
//! ```
//! use skiff_dockerignore::PatternMatcher;
//! let pm = PatternMatcher::new(&["docs", "!docs/README.md", "**/*.tmp"]).unwrap();
//! assert!(pm.matches_or_parent_matches("docs/guide.md").unwrap());
//! assert!(!pm.matches_or_parent_matches("docs/README.md").unwrap());
//! assert!(pm.matches_or_parent_matches("a/b/c.tmp").unwrap());
//! ```

mod clean;
mod ignorefile;
mod pattern;

pub use clean::clean_path;
pub use ignorefile::{ignore_file_for, read_ignore_file};
pub use pattern::{MatchInfo, MatchType, Pattern, PatternMatcher};

/// Errors from compiling or matching patterns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A pattern that is just `!`.
    #[error("illegal exclusion pattern: \"!\"")]
    IllegalExclusion,
    /// `filepath.ErrBadPattern`: malformed `[...]` or a trailing `\`.
    #[error("syntax error in pattern: {0}")]
    BadPattern(String),
    #[error("wrong number of values in parentMatched")]
    WrongMatchInfo,
}

/// Package-level `Matches` (deprecated upstream, kept for its tests): build a
/// matcher, clean the path, and check the path plus the one ancestor at the
/// pattern's depth. `.` never matches.
pub fn matches(file: &str, patterns: &[&str]) -> Result<bool, Error> {
    package_level(file, patterns, PatternMatcher::matches)
}

/// Package-level `MatchesOrParentMatches`.
pub fn matches_or_parent_matches(file: &str, patterns: &[&str]) -> Result<bool, Error> {
    package_level(file, patterns, PatternMatcher::matches_or_parent_matches)
}

/// What both package-level functions do around `check`: build the matcher,
/// clean the path; `.` never matches.
fn package_level(
    file: &str,
    patterns: &[&str],
    check: fn(&PatternMatcher, &str) -> Result<bool, Error>,
) -> Result<bool, Error> {
    let pm = PatternMatcher::new(patterns)?;
    let file = clean_path(file);
    if file == "." {
        return Ok(false);
    }
    check(&pm, &file)
}
