//! Instruction flags (`--name=value`), validated like BuildKit's BFlags.

use crate::suggest::did_you_mean;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Bool,
    Str,
    /// May repeat (`--mount`, `--exclude`).
    Strings,
}

/// Flag names and kinds, as one instruction (or a family) declares them.
pub(crate) type Defs = &'static [(&'static str, Kind)];

/// The flags an instruction accepts, filled in by [`Flags::parse`].
#[derive(Debug, Default)]
pub(crate) struct Flags {
    defs: Vec<(&'static str, Kind)>,
    values: Vec<(&'static str, String)>,
}

impl Flags {
    /// The flags of `sets` together, in order (COPY and ADD share a set).
    pub(crate) fn new(sets: &[Defs]) -> Flags {
        Flags {
            defs: sets.iter().flat_map(|d| d.iter().copied()).collect(),
            values: Vec::new(),
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
            let Some(&(key, kind)) = self.defs.iter().find(|(n, _)| *n == name) else {
                let names: Vec<&str> = self.defs.iter().map(|(n, _)| *n).collect();
                let mut msg = format!("unknown flag: --{name}");
                if let Some(s) = did_you_mean(name, &names) {
                    msg.push_str(&format!(" (did you mean {s}?)"));
                }
                return Err(msg);
            };
            if self.values.iter().any(|(k, _)| *k == key) && kind != Kind::Strings {
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
            self.values.push((key, v));
        }
        Ok(())
    }

    pub(crate) fn string(&self, name: &str) -> Option<String> {
        self.values
            .iter()
            .rev()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    }

    pub(crate) fn strings(&self, name: &str) -> Vec<String> {
        self.values
            .iter()
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// `None` when the flag was not given.
    pub(crate) fn bool(&self, name: &str) -> Option<bool> {
        self.string(name).map(|v| v == "true")
    }

    pub(crate) fn used(&self) -> Vec<String> {
        let mut used: Vec<String> = self.values.iter().map(|(k, _)| k.to_string()).collect();
        used.sort();
        used.dedup();
        used
    }
}
