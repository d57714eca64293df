//! Instruction flags (`--name=value`), validated like BuildKit's BFlags.

use std::collections::BTreeMap;

use crate::suggest::did_you_mean;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Bool,
    Str,
    /// May repeat (`--mount`, `--exclude`).
    Strings,
}

/// The flags an instruction accepts, filled in by [`Flags::parse`].
#[derive(Debug, Default)]
pub(crate) struct Flags {
    defs: BTreeMap<&'static str, Kind>,
    values: BTreeMap<&'static str, Vec<String>>,
}

impl Flags {
    pub(crate) fn new(defs: &[(&'static str, Kind)]) -> Flags {
        Flags {
            defs: defs.iter().copied().collect(),
            values: BTreeMap::new(),
        }
    }

    pub(crate) fn parse(&mut self, args: &[String]) -> Result<(), String> {
        for a in args {
            if a == "--" {
                return Ok(());
            }
            let Some(body) = a.strip_prefix("--") else {
                return Err(format!("arg should start with -- : {a}"));
            };
            let (name, value) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (body, None),
            };
            let Some((&key, &kind)) = self.defs.get_key_value(name) else {
                let names: Vec<&str> = self.defs.keys().copied().collect();
                let mut msg = format!("unknown flag: --{name}");
                if let Some(s) = did_you_mean(name, &names) {
                    msg.push_str(&format!(" (did you mean {s}?)"));
                }
                return Err(msg);
            };
            if self.values.contains_key(key) && kind != Kind::Strings {
                return Err(format!("duplicate flag specified: --{name}"));
            }
            let v = match kind {
                Kind::Bool => match value {
                    Some("") => return Err(format!("missing a value on flag: --{name}")),
                    None => "true".to_string(),
                    Some(v) if v.eq_ignore_ascii_case("true") => "true".to_string(),
                    Some(v) if v.eq_ignore_ascii_case("false") => "false".to_string(),
                    Some(v) => {
                        return Err(format!(
                            "expecting boolean value for flag --{name}, not: {v}"
                        ))
                    }
                },
                Kind::Str | Kind::Strings => match value {
                    None => return Err(format!("missing a value on flag: --{name}")),
                    Some(v) => v.to_string(),
                },
            };
            self.values.entry(key).or_default().push(v);
        }
        Ok(())
    }

    pub(crate) fn string(&self, name: &str) -> Option<String> {
        self.values.get(name).and_then(|v| v.last().cloned())
    }

    pub(crate) fn strings(&self, name: &str) -> Vec<String> {
        self.values.get(name).cloned().unwrap_or_default()
    }

    /// `None` when the flag was not given.
    pub(crate) fn bool(&self, name: &str) -> Option<bool> {
        self.string(name).map(|v| v == "true")
    }

    pub(crate) fn used(&self) -> Vec<String> {
        self.values.keys().map(|k| k.to_string()).collect()
    }
}
