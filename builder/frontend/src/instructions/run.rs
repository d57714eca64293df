//! RUN: its flags (`--mount`, `--network`, `--security`) and command line.

use crate::parser::Node;

use super::flags::Kind;
use super::{command_line, flags_for, Mount, NetworkMode, RunCommand, Security};

pub(super) fn parse_run(node: &Node, args: &[&str]) -> Result<RunCommand, String> {
    let f = flags_for(
        node,
        &[
            ("mount", Kind::Strings),
            ("network", Kind::Str),
            ("security", Kind::Str),
        ],
    )?;
    let mut run = RunCommand {
        cmd: command_line(node, args, false),
        flags_used: f.used(),
        ..RunCommand::default()
    };
    for spec in f.strings("mount") {
        run.mounts.push(Mount::parse(&spec, None)?);
        run.mount_specs.push(spec);
    }
    if let Some(n) = f.string("network") {
        run.network = Some(match n.as_str() {
            "default" => NetworkMode::Default,
            "none" => NetworkMode::None,
            "host" => NetworkMode::Host,
            _ => return Err(format!("unsupported network mode \"{n}\"")),
        });
    }
    if let Some(s) = f.string("security") {
        run.security = Some(match s.as_str() {
            "sandbox" => Security::Sandbox,
            "insecure" => Security::Insecure,
            _ => return Err(format!("unsupported security mode \"{s}\"")),
        });
    }
    Ok(run)
}
