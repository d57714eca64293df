//! HEALTHCHECK: `NONE`, or `CMD` with its interval flags, as the image
//! config's Healthcheck.

use std::time::Duration;

use crate::parser::Node;

use super::flags::Kind;
use super::{at_least_one, command_line, flags_for, parse_go_duration, Healthcheck};

pub(super) fn parse_healthcheck(node: &Node, args: &[&str]) -> Result<Healthcheck, String> {
    if args.is_empty() {
        return Err(at_least_one("HEALTHCHECK"));
    }
    let typ = args[0].to_uppercase();
    let rest = &args[1..];
    if typ == "NONE" {
        if !rest.is_empty() {
            return Err("HEALTHCHECK NONE takes no arguments".into());
        }
        return Ok(Healthcheck::None);
    }
    let f = flags_for(
        node,
        &[
            ("interval", Kind::Str),
            ("timeout", Kind::Str),
            ("start-period", Kind::Str),
            ("start-interval", Kind::Str),
            ("retries", Kind::Str),
        ],
    )?;
    if typ != "CMD" {
        return Err(format!("Unknown type \"{typ}\" in HEALTHCHECK (try CMD)"));
    }
    let line = command_line(node, rest, false);
    if line.args.is_empty() {
        return Err("Missing command after HEALTHCHECK CMD".into());
    }
    let kind = if node.json { "CMD" } else { "CMD-SHELL" };
    let mut test = vec![kind.to_string()];
    test.extend(line.args);
    let interval = |name: &str| -> Result<Duration, String> {
        let Some(v) = f.string(name) else {
            return Ok(Duration::ZERO);
        };
        if v.is_empty() {
            return Ok(Duration::ZERO);
        }
        let d = parse_go_duration(&v)?;
        if d != Duration::ZERO && d < Duration::from_millis(1) {
            return Err(format!("Interval \"{name}\" cannot be less than 1ms"));
        }
        Ok(d)
    };
    let retries = match f.string("retries") {
        Some(v) if !v.is_empty() => {
            let r: i64 = v
                .parse()
                .map_err(|_| format!("strconv.ParseInt: parsing \"{v}\": invalid syntax"))?;
            if r < 0 {
                return Err(format!("--retries cannot be negative ({r})"));
            }
            r
        }
        _ => 0,
    };
    Ok(Healthcheck::Check {
        test,
        interval: interval("interval")?,
        timeout: interval("timeout")?,
        start_period: interval("start-period")?,
        start_interval: interval("start-interval")?,
        retries,
    })
}
