//! Reading `.dockerignore` files (`ignorefile.ReadAll`).

use std::path::{Path, PathBuf};

use crate::clean::clean_path;

/// The patterns of a `.dockerignore`, in order. Lines starting with `#` are
/// comments; blank lines are skipped; `!` marks an exception; paths are
/// cleaned and a leading `/` is dropped (patterns are relative to the
/// context root either way).
pub fn read_ignore_file(content: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(content);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut out = Vec::new();
    let mut lines: Vec<&str> = text.split('\n').collect();
    if text.ends_with('\n') {
        lines.pop();
    }
    for line in lines {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.starts_with('#') {
            continue;
        }
        let mut pattern = line.trim();
        if pattern.is_empty() {
            continue;
        }
        let invert = pattern.starts_with('!');
        if invert {
            pattern = pattern[1..].trim();
        }
        let mut cleaned = String::new();
        if !pattern.is_empty() {
            cleaned = clean_path(pattern);
            if cleaned.len() > 1 && cleaned.starts_with('/') {
                cleaned.remove(0);
            }
        }
        if invert {
            cleaned.insert(0, '!');
        }
        out.push(cleaned);
    }
    out
}

/// The ignore file that applies to a build: `<Dockerfile>.dockerignore`
/// beside the Dockerfile if it exists, else `<context>/.dockerignore` if it
/// exists.
pub fn ignore_file_for(context: &Path, dockerfile: &Path) -> Option<PathBuf> {
    if let Some(name) = dockerfile.file_name() {
        let mut specific = name.to_os_string();
        specific.push(".dockerignore");
        let candidate = dockerfile.with_file_name(specific);
        if candidate.is_file() {
            return Some(candidate);
        }
    }
    let default = context.join(".dockerignore");
    default.is_file().then_some(default)
}
