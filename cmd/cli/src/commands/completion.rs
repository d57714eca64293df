//! `skiff completion bash|zsh|fish|...`: shell completion scripts generated
//! from the clap command tree, so they never drift from the real flags.
//!
//! The hidden `--man-dir DIR` writes one man page per command (skiff.1,
//! skiff-run.1, skiff-image-ls.1, ...) for packaging/dist; it lives here
//! because completions and man pages are the same kind of artifact: text
//! derived from `Cli::command()`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args as ClapArgs, CommandFactory};
use clap_complete::Shell;

use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// The shell to generate the completion script for
    #[arg(value_enum)]
    pub shell: Option<Shell>,

    /// Write man pages for skiff and every subcommand into DIR (packaging)
    #[arg(long, value_name = "DIR", hide = true, conflicts_with = "shell")]
    pub man_dir: Option<PathBuf>,
}

pub fn run(_g: &Globals, a: Args) -> anyhow::Result<i32> {
    if let Some(dir) = a.man_dir {
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        clap_mangen::generate_to(crate::cli::Cli::command(), &dir)
            .with_context(|| format!("writing man pages to {}", dir.display()))?;
        return Ok(0);
    }
    let Some(shell) = a.shell else {
        // docker's `completion` alone: its help (the shells), exit 0.
        let mut cli = crate::cli::Cli::command();
        cli.build();
        if let Some(c) = cli.find_subcommand_mut("completion") {
            crate::format::emit(&c.render_help().to_string());
        }
        return Ok(0);
    };
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut crate::cli::Cli::command(), bin_name(), &mut out);
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(&out).and_then(|()| stdout.flush()) {
        // `skiff completion bash | head` is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(0),
        other => other.context("writing the completion script").map(|()| 0),
    }
}

/// Complete the name the user typed: `docker completion bash` through a
/// `docker` link must register completions for `docker`, not `skiff`.
fn bin_name() -> String {
    std::env::args_os()
        .next()
        .and_then(|a| {
            std::path::Path::new(&a)
                .file_name()
                .and_then(|n| n.to_str())
                .map(str::to_string)
        })
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "skiff".into())
}
