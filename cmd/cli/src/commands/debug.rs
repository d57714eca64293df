//! `skiff debug`: developer tools. `debug parse FILE` prints a Dockerfile's
//! parse tree in BuildKit's `Node.Dump()` format (what BuildKit's parser
//! test `result` files hold); `debug bench-parse DIR` times parsing and
//! planning every file in DIR (used by scripts/bench/parse).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Subcommand;

use crate::exit::Failure;
use crate::globals::Globals;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the parse tree of a Dockerfile in BuildKit's dump format
    Parse {
        /// The Dockerfile ("-" reads stdin)
        file: PathBuf,
    },
    /// Time parsing and planning of every file in a directory
    #[command(hide = true)]
    BenchParse {
        dir: PathBuf,
        /// Repeat the whole set this many times and report the best round
        #[arg(long, default_value_t = 20)]
        rounds: u32,
    },
}

pub fn run(_g: &Globals, c: Command) -> anyhow::Result<i32> {
    match c {
        Command::Parse { file } => parse(&file),
        Command::BenchParse { dir, rounds } => bench(&dir, rounds),
    }
}

fn read(file: &PathBuf) -> anyhow::Result<Vec<u8>> {
    if file.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)?;
        return Ok(buf);
    }
    std::fs::read(file).with_context(|| format!("reading {}", file.display()))
}

fn parse(file: &PathBuf) -> anyhow::Result<i32> {
    let bytes = read(file)?;
    match skiff_frontend::parse(&bytes) {
        Ok(ast) => {
            crate::format::emit(&ast.dump());
            Ok(0)
        }
        Err(e) => Err(Failure::new(1, e.with_file(&file.display().to_string()))),
    }
}

fn bench(dir: &PathBuf, rounds: u32) -> anyhow::Result<i32> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if path.is_file() && name.contains("Dockerfile") {
            files.push((path.clone(), std::fs::read(&path)?));
        }
    }
    files.sort();
    let opts = skiff_frontend::PlanOptions::default();
    let mut best = f64::MAX;
    let mut instructions = 0;
    for _ in 0..rounds.max(1) {
        let start = Instant::now();
        instructions = 0;
        for (path, bytes) in &files {
            let plan = skiff_frontend::parse_and_plan(bytes, &opts)
                .map_err(|e| anyhow::anyhow!(e.with_file(&path.display().to_string())))?;
            instructions += plan
                .stages
                .iter()
                .map(|s| s.instructions.len() + 1)
                .sum::<usize>();
        }
        best = best.min(start.elapsed().as_secs_f64());
    }
    say!(
        "parse+plan: {} files, {} instructions, {:.3} ms (best of {} rounds)",
        files.len(),
        instructions,
        best * 1e3,
        rounds.max(1)
    );
    Ok(0)
}
