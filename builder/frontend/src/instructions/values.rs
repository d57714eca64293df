//! Small value parsers shared by several instructions: Go durations (the
//! one parser in skiff-core, which `run --health-*` uses too) and
//! `--chmod` modes.

pub use skiff_core::go_duration::parse_go_duration;

/// A `--chmod` value: octal bits, or a symbolic mode like `u+x,g-w`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chmod {
    Octal(u32),
    Symbolic(String),
}

impl Chmod {
    pub fn parse(v: &str) -> Result<Chmod, String> {
        if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
            return u32::from_str_radix(v, 8)
                .ok()
                .filter(|m| *m <= 0o7777)
                .map(Chmod::Octal)
                .ok_or_else(|| format!("invalid chmod parameter: '{v}'. it should be octal string and between 0 and 07777"));
        }
        for clause in v.split(',') {
            let who_end = clause
                .find(|c: char| !"ugoa".contains(c))
                .unwrap_or(clause.len());
            let rest = &clause[who_end..];
            if rest.is_empty() {
                return Err(format!("invalid chmod parameter: '{v}'"));
            }
            let mut chars = rest.chars().peekable();
            let mut saw_op = false;
            while let Some(c) = chars.next() {
                if !matches!(c, '+' | '-' | '=') {
                    return Err(format!("invalid chmod parameter: '{v}'"));
                }
                saw_op = true;
                while let Some(&p) = chars.peek() {
                    if "rwxXstugo".contains(p) {
                        chars.next();
                    } else {
                        break;
                    }
                }
            }
            if !saw_op {
                return Err(format!("invalid chmod parameter: '{v}'"));
            }
        }
        Ok(Chmod::Symbolic(v.to_string()))
    }
}
