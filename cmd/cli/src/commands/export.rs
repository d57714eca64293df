//! `skiff export`: a container's filesystem (image plus its changes, no
//! volumes) as a tar archive on stdout or in `-o FILE`.

use std::io::{ErrorKind, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::Args as ClapArgs;
use skiff_runtime::{state, view};
use skiff_solver::layer::{write_dir_tar, LayerError, TarOptions};

use super::refused::daemon;
use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Write to a file, instead of STDOUT
    #[arg(short = 'o', long)]
    pub output: Option<PathBuf>,
    /// Container name or ID
    pub container: String,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let out: Box<dyn Write> = match &a.output {
        Some(p) => Box::new(
            std::fs::File::create(p)
                .map_err(|e| anyhow::anyhow!("failed to export container: {}: {e}", p.display()))?,
        ),
        None if std::io::stdout().is_terminal() => {
            return Err(crate::exit::Failure::new(
                1,
                "cowardly refusing to save to a terminal. Use the -o flag or redirect",
            ));
        }
        None => Box::new(std::io::stdout().lock()),
    };
    let layout = g.layout()?;
    let id = daemon(state::resolve(&layout, &a.container))?;
    let root = daemon(view::open(&layout, &id))?;
    // From here on this process sees only the container's files: the tar
    // writer cannot follow a symlink the container planted out of them.
    view::enter(&root)?;
    let out = std::io::BufWriter::with_capacity(1 << 20, out);
    let written = write_dir_tar(Path::new("/"), out, &TarOptions::default())
        .map_err(|e| match e {
            LayerError::Io { source, .. } if source.kind() == ErrorKind::BrokenPipe => source,
            e => std::io::Error::other(e),
        })
        .and_then(|(mut out, _)| out.flush());
    match written {
        Ok(()) => Ok(0),
        // `skiff export c | tar t | head`: a reader that stopped early.
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(0),
        Err(e) => Err(anyhow::anyhow!("failed to export container: {e}")),
    }
}
