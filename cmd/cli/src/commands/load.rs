//! `skiff load [-i FILE]`: docker-archive or OCI-layout tars (plain or
//! compressed), from a file or stdin.

use std::fs::File;
use std::io::{BufReader, IsTerminal, Read};

use anyhow::{bail, Context};
use clap::Args as ClapArgs;
use skiff_store::Store;

use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Read from tar archive file, instead of STDIN
    #[arg(short = 'i', long, value_name = "FILE")]
    pub input: Option<String>,
    /// Suppress the load output
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    run_args(g, a).map_err(crate::exit::exits_one)
}

fn run_args(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let mut input: Box<dyn Read> = match &a.input {
        Some(p) if p != "-" => Box::new(BufReader::new(
            File::open(p).with_context(|| format!("open {p}"))?,
        )),
        _ => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                bail!("requested load from stdin, but stdin is empty");
            }
            Box::new(stdin.lock())
        }
    };
    let store = Store::open(&g.root)?;
    let loaded = store.load_archive(&mut input)?;
    if !a.quiet {
        for l in loaded {
            if l.references.is_empty() {
                say!("Loaded image ID: {}", l.id);
            }
            for r in l.references {
                say!("Loaded image: {r}");
            }
        }
    }
    Ok(0)
}
