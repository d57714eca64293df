//! `skiff cp` (docker cp): copy files and directories between a container
//! and the host, either way, with docker's archive rules (a trailing `/.`
//! copies a directory's contents, a missing DEST becomes the copy),
//! `-L` (follow a symlink SRC), `-a` (keep owners), and `-` for a tar on
//! stdout (from a container) or stdin (into a container directory).
//! Every path inside the container goes through skiff-runtime's `cp`,
//! which resolves it inside the container's root.

use std::fs;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::Args as ClapArgs;
use skiff_runtime::cp::{self, from_host, source, target, to_host, untar, Found};
use skiff_runtime::{state, Layout};

use super::cp_tar;
use super::refused::{daemon, refused};
use crate::exit::Failure;
use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Always follow symlinks in SRC_PATH
    #[arg(short = 'L', long)]
    pub follow_link: bool,
    /// Archive mode (copy all uid/gid information)
    #[arg(short = 'a', long)]
    pub archive: bool,
    /// Suppress progress output during copy (always quiet without a terminal)
    #[arg(short, long)]
    pub quiet: bool,
    /// CONTAINER:SRC_PATH or SRC_PATH|-
    #[arg(value_name = "SRC")]
    pub src: String,
    /// DEST_PATH|- or CONTAINER:DEST_PATH
    #[arg(value_name = "DEST")]
    pub dest: String,
}

/// docker's split of `CONTAINER:PATH`: an absolute path, or one starting
/// with `.`, is local even with a `:` in it.
fn split(arg: &str) -> (Option<&str>, &str) {
    if arg.starts_with('/') {
        return (None, arg);
    }
    match arg.split_once(':') {
        Some((c, p)) if !c.starts_with('.') => (Some(c), p),
        _ => (None, arg),
    }
}

fn fail(msg: impl std::fmt::Display) -> anyhow::Error {
    Failure::new(1, msg.to_string())
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    if a.src.is_empty() {
        return Err(fail("source can not be empty"));
    }
    if a.dest.is_empty() {
        return Err(fail("destination can not be empty"));
    }
    let layout = g.layout()?;
    // docker's cp exits 1 for every failure, its own and the engine's.
    let res = match (split(&a.src), split(&a.dest)) {
        ((Some(_), _), (Some(_), _)) => Err(fail("copying between containers is not supported")),
        ((Some(c), p), (None, dst)) => from_container(&layout, &a, c, p, dst),
        ((None, src), (Some(c), p)) => to_container(&layout, &a, src, c, p),
        _ => Err(fail("must specify at least one container source")),
    };
    res.map_err(|e| match e.downcast_ref::<Failure>() {
        Some(_) => e,
        None => fail(format!("{e:#}")),
    })
}

fn from_container(
    layout: &Layout,
    a: &Args,
    ctr: &str,
    path: &str,
    dst: &str,
) -> anyhow::Result<i32> {
    let id = daemon(state::resolve(layout, ctr))?;
    let src = daemon(source::Source::open(layout, &id))?;
    let path = cp::in_container(path);
    let Some(st) = daemon(src.stat(&path, a.follow_link))? else {
        return Err(refused(format!(
            "Could not find the file {path} in container {ctr}"
        )));
    };
    let is_dir = st.st_mode & libc::S_IFMT == libc::S_IFDIR;
    if dst == "-" {
        if std::io::stdout().is_terminal() {
            return Err(fail("cannot write a tar archive to a terminal"));
        }
        return cp_tar::write_tar(&src, &path, a.follow_link, &cp::tar_top(&path));
    }
    let dst = &to_host::resolve_dest(dst);
    let dst_is = match fs::metadata(dst) {
        Ok(m) if m.is_dir() => Found::Dir,
        Ok(_) => Found::File,
        Err(_) => Found::Missing,
    };
    let plan = cp::plan(&path, is_dir, dst, dst_is).map_err(fail)?;
    if let Some(parent) = plan.top.parent().filter(|p| !p.as_os_str().is_empty()) {
        if !parent.is_dir() {
            return Err(fail(format!(
                "destination directory {} does not exist",
                parent.display()
            )));
        }
    }
    let mut copied = 0u64;
    daemon(src.walk(&path, a.follow_link, &plan.top, &mut |e| {
        copied += to_host::write_entry(e, a.archive)?;
        Ok(())
    }))?;
    summary(a, copied, dst);
    Ok(0)
}

fn to_container(
    layout: &Layout,
    a: &Args,
    src: &str,
    ctr: &str,
    path: &str,
) -> anyhow::Result<i32> {
    let id = daemon(state::resolve(layout, ctr))?;
    let path = cp::in_container(path);
    if src != "-" && fs::symlink_metadata(src).is_err() {
        let abs = std::path::absolute(src).unwrap_or_else(|_| PathBuf::from(src));
        return Err(fail(format!(
            "lstat {}: no such file or directory",
            abs.display()
        )));
    }
    let tgt = daemon(target::Target::open(layout, &id))?;
    let dst_is = tgt.stat(&path);
    if src == "-" {
        if dst_is != Found::Dir {
            return Err(fail(format!(
                "destination \"{ctr}:{path}\" must be a directory"
            )));
        }
        untar::extract(
            &tgt,
            Path::new(&path),
            &mut std::io::stdin().lock(),
            a.archive,
        )?;
        return Ok(0);
    }
    let meta = if a.follow_link {
        fs::metadata(src)
    } else {
        fs::symlink_metadata(src)
    }?;
    let plan = cp::plan(src, meta.is_dir(), &path, dst_is).map_err(fail)?;
    let copied = from_host::copy_tree(&tgt, Path::new(src), a.follow_link, &plan.top, a.archive)?;
    summary(a, copied, &format!("{ctr}:{path}"));
    Ok(0)
}

/// docker's closing line, on stderr and only for a terminal.
fn summary(a: &Args, copied: u64, to: &str) {
    if !a.quiet && std::io::stdout().is_terminal() {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(
            err,
            "Successfully copied {} to {to}",
            crate::format::human_size_prec(copied as f64, 3)
        );
    }
}
