//! COPY and ADD: flags, sources (paths or heredocs) and the destination.

use crate::parser::{chomp_heredoc_content, parse_heredoc, Node};

use super::flags::{Defs, Flags, Kind};
use super::{flags_from_sets, AddCommand, Chmod, CopyCommand, CopyFiles, SourceContent};

/// The flags COPY and ADD both take, read by [`copy_files`].
const FILE_FLAGS: Defs = &[
    ("chown", Kind::Str),
    ("chmod", Kind::Str),
    ("link", Kind::Bool),
    ("exclude", Kind::Strings),
];

/// Split COPY/ADD arguments into sources (paths or heredocs) and the destination.
fn sources_and_dest(
    node: &Node,
    args: &[&str],
    cmd: &str,
) -> Result<(Vec<String>, Vec<SourceContent>, String), String> {
    need_dest(args, cmd)?;
    let dest = args[args.len() - 1].to_string();
    if parse_heredoc(&dest).ok().flatten().is_some() {
        return Err(format!("{cmd} cannot accept a heredoc as a destination"));
    }
    let mut paths = Vec::new();
    let mut contents = Vec::new();
    for src in &args[..args.len() - 1] {
        match parse_heredoc(src).ok().flatten() {
            Some(h) => {
                let body = node
                    .heredocs
                    .iter()
                    .find(|d| d.name == h.name)
                    .map(|d| d.content.clone())
                    .unwrap_or_default();
                let data = if h.chomp {
                    chomp_heredoc_content(&body)
                } else {
                    body
                };
                contents.push(SourceContent {
                    path: h.name,
                    data,
                    expand: h.expand,
                });
            }
            None => paths.push(src.to_string()),
        }
    }
    Ok((paths, contents, dest))
}

fn check_chmod(v: &Option<String>) -> Result<(), String> {
    if let Some(v) = v {
        if !v.contains('$') {
            Chmod::parse(v)?;
        }
    }
    Ok(())
}

/// COPY and ADD need a destination; checked before the flags.
fn need_dest(args: &[&str], cmd: &str) -> Result<(), String> {
    if args.len() < 2 {
        return Err(format!(
            "{cmd} requires at least two arguments, but only one was provided. Destination could not be determined"
        ));
    }
    Ok(())
}

pub(super) fn parse_copy(node: &Node, args: &[&str]) -> Result<CopyCommand, String> {
    let f = file_flags(
        node,
        args,
        "COPY",
        &[("from", Kind::Str), ("parents", Kind::Bool)],
    )?;
    Ok(CopyCommand {
        files: copy_files(node, args, "COPY", &f)?,
        from: f.string("from"),
        parents: f.bool("parents").unwrap_or(false),
    })
}

pub(super) fn parse_add(node: &Node, args: &[&str]) -> Result<AddCommand, String> {
    let f = file_flags(
        node,
        args,
        "ADD",
        &[
            ("keep-git-dir", Kind::Bool),
            ("checksum", Kind::Str),
            ("unpack", Kind::Bool),
        ],
    )?;
    // --checksum is checked by the solver, which knows the source: a digest
    // for a URL, a commit (prefix) in hex for a git reference.
    Ok(AddCommand {
        files: copy_files(node, args, "ADD", &f)?,
        keep_git_dir: f.bool("keep-git-dir"),
        checksum: f.string("checksum"),
        unpack: f.bool("unpack"),
    })
}

/// COPY's or ADD's flags: [`FILE_FLAGS`] and the instruction's `own`. The
/// destination is checked first, as BuildKit does.
fn file_flags(node: &Node, args: &[&str], cmd: &str, own: Defs) -> Result<Flags, String> {
    need_dest(args, cmd)?;
    flags_from_sets(node, &[FILE_FLAGS, own])
}

/// The sources, the destination and the flags COPY and ADD share, from
/// `cmd`'s parsed flags `f`.
fn copy_files(node: &Node, args: &[&str], cmd: &str, f: &Flags) -> Result<CopyFiles, String> {
    let (sources, contents, dest) = sources_and_dest(node, args, cmd)?;
    let files = CopyFiles {
        sources,
        contents,
        dest,
        chown: f.string("chown"),
        chmod: f.string("chmod"),
        link: f.bool("link").unwrap_or(false),
        excludes: f.strings("exclude"),
    };
    check_chmod(&files.chmod)?;
    Ok(files)
}
