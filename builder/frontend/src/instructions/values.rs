//! Small value parsers shared by several instructions: Go durations and
//! `--chmod` modes.

use std::time::Duration;

/// Go's `time.ParseDuration` (`1h30m`, `1.5s`, `300ms`, `0`).
pub fn parse_go_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("time: invalid duration \"{s}\"");
    let (neg, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if n == 0 {
            return Err(bad());
        }
        let num: f64 = rest[..n].parse().map_err(|_| bad())?;
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let nanos = match &rest[..u] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => return Err(format!("time: missing unit in duration \"{s}\"")),
            other => {
                return Err(format!(
                    "time: unknown unit \"{other}\" in duration \"{s}\""
                ))
            }
        };
        total += num * nanos;
        rest = &rest[u..];
    }
    if neg && total > 0.0 {
        return Err(format!("duration {s} is negative"));
    }
    Ok(Duration::from_nanos(total as u64))
}

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
