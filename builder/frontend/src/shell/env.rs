//! Environments the shell lexer reads variables from.

use std::collections::HashMap;

/// Something the lexer can look variable names up in.
///
/// `get` returns `Some("")` for a variable that is set but empty: BuildKit
/// distinguishes set-empty from unset (`${V-x}` vs `${V:-x}`).
pub trait EnvGetter {
    fn get(&self, name: &str) -> Option<&str>;
}

/// An ordered list of `KEY=VALUE` pairs where a later entry wins, like a
/// stage's environment while a Dockerfile is dispatched.
///
/// With `case_insensitive` (Windows images) lookups upper-case the key, as
/// BuildKit's `NormalizeEnvKey` does on Windows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvList {
    entries: Vec<(String, String)>,
    case_insensitive: bool,
}

impl EnvList {
    pub fn new() -> EnvList {
        EnvList::default()
    }

    /// Keys compared case-insensitively (Windows semantics).
    pub fn windows() -> EnvList {
        EnvList {
            entries: Vec::new(),
            case_insensitive: true,
        }
    }

    /// Build from `KEY=VALUE` strings; an entry without `=` is set to "".
    pub fn from_slice<S: AsRef<str>>(items: &[S]) -> EnvList {
        let mut env = EnvList::new();
        for item in items {
            let item = item.as_ref();
            let (k, v) = item.split_once('=').unwrap_or((item, ""));
            env.set(k, v);
        }
        env
    }

    /// From pairs with distinct keys, in order.
    pub fn from_pairs(entries: Vec<(String, String)>) -> EnvList {
        EnvList {
            entries,
            case_insensitive: false,
        }
    }

    /// Set (or replace) a variable; replacing keeps the original position so
    /// `entries()` stays in first-definition order.
    pub fn set(&mut self, key: &str, value: &str) {
        if let Some(slot) = self.position(key) {
            self.entries[slot].1 = value.to_string();
        } else {
            self.entries.push((key.to_string(), value.to_string()));
        }
    }

    pub fn remove(&mut self, key: &str) {
        if let Some(slot) = self.position(key) {
            self.entries.remove(slot);
        }
    }

    pub fn entries(&self) -> &[(String, String)] {
        &self.entries
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// `KEY=VALUE` strings, in definition order.
    pub fn to_vec(&self) -> Vec<String> {
        self.entries
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect()
    }

    fn position(&self, key: &str) -> Option<usize> {
        if self.case_insensitive {
            self.entries.iter().position(|(k, _)| {
                k.eq_ignore_ascii_case(key) || k.to_uppercase() == key.to_uppercase()
            })
        } else {
            self.entries.iter().position(|(k, _)| k == key)
        }
    }
}

impl EnvGetter for EnvList {
    fn get(&self, name: &str) -> Option<&str> {
        self.position(name).map(|i| self.entries[i].1.as_str())
    }
}

impl EnvGetter for HashMap<String, String> {
    fn get(&self, name: &str) -> Option<&str> {
        HashMap::get(self, name).map(String::as_str)
    }
}

impl EnvGetter for [(String, String)] {
    fn get(&self, name: &str) -> Option<&str> {
        self.iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An environment with no variables at all.
pub struct EmptyEnv;

impl EnvGetter for EmptyEnv {
    fn get(&self, _name: &str) -> Option<&str> {
        None
    }
}

/// Two environments layered: `first` wins over `second`.
pub struct Layered<'a, A: EnvGetter + ?Sized, B: EnvGetter + ?Sized> {
    pub first: &'a A,
    pub second: &'a B,
}

impl<A: EnvGetter + ?Sized, B: EnvGetter + ?Sized> EnvGetter for Layered<'_, A, B> {
    fn get(&self, name: &str) -> Option<&str> {
        self.first.get(name).or_else(|| self.second.get(name))
    }
}
