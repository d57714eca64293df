//! `skiff pull`: download an image from a registry (see skiff-registry's
//! `pull` for how), printing docker's lines. Also home of the progress
//! renderer `push` shares.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use clap::Args as ClapArgs;
use skiff_registry::events::{Event, Reporter, Status};
use skiff_registry::pull::PullOptions;
use skiff_registry::{Options, Platform, Registry};

use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Image to pull: NAME[:TAG|@DIGEST]
    #[arg(value_name = "NAME[:TAG|@DIGEST]")]
    pub name: String,

    /// Set platform if server is multi-platform capable (os/arch[/variant])
    #[arg(long, env = "DOCKER_DEFAULT_PLATFORM", value_name = "PLATFORM")]
    pub platform: Option<String>,

    /// Suppress verbose output
    #[arg(short, long)]
    pub quiet: bool,

    /// Download all tagged images in the repository (not supported yet)
    #[arg(short = 'a', long)]
    pub all_tags: bool,

    /// Skip image verification (accepted for docker compatibility)
    #[arg(long, hide = true)]
    pub disable_content_trust: bool,

    /// Allow plain HTTP (or unverified HTTPS) for this registry (repeatable);
    /// loopback registries never need it
    #[arg(long = "insecure-registry", value_name = "HOST[:PORT]")]
    pub insecure_registry: Vec<String>,

    /// Progress output: auto, plain, tty or quiet
    #[arg(long, value_name = "MODE", default_value = "auto")]
    pub progress: String,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    if a.all_tags {
        anyhow::bail!("--all-tags is not supported yet: pull tags one by one");
    }
    let reference = skiff_registry::parse_reference(&a.name)?;
    let platform = a.platform.as_deref().map(Platform::parse).transpose()?;
    let opts = Options {
        insecure_registries: a.insecure_registry.clone(),
    }
    .with_settings()?;
    let store = skiff_store::Store::open(&g.root)
        .with_context(|| format!("opening the store at {}", g.root.display()))?;
    let mode = ProgressMode::parse(&a.progress, a.quiet)?;
    let renderer = Renderer::new(mode);
    let last = a.name.rsplit('/').next().unwrap_or(&a.name);
    if mode != ProgressMode::Quiet && !last.contains(':') && !a.name.contains('@') {
        say!("Using default tag: latest");
    }
    let rt = skiff_registry::runtime()?;
    let reg = Registry::connect(&reference, &opts)?;
    let result = rt.block_on(skiff_registry::pull::pull(
        &store,
        &reg,
        &reference,
        &PullOptions { platform },
        renderer.reporter(),
    ));
    renderer.finish();
    let result = result?;
    let whole = reference.whole();
    if mode != ProgressMode::Quiet {
        let familiar = skiff_store::normalize_reference(&whole)
            .map(|r| r.familiar())
            .unwrap_or_else(|_| whole.clone());
        say!("Digest: {}", result.digest);
        if result.downloaded {
            say!("Status: Downloaded newer image for {familiar}");
        } else {
            say!("Status: Image is up to date for {familiar}");
        }
    }
    say!("{whole}");
    Ok(0)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// One line per status change (docker's output when not on a terminal).
    Plain,
    /// Lines redrawn in place, with byte counts.
    Tty,
    Quiet,
}

impl ProgressMode {
    pub fn parse(s: &str, quiet: bool) -> anyhow::Result<ProgressMode> {
        if quiet {
            return Ok(ProgressMode::Quiet);
        }
        Ok(match s {
            "auto" if std::io::stdout().is_terminal() => ProgressMode::Tty,
            "auto" | "plain" => ProgressMode::Plain,
            "tty" => ProgressMode::Tty,
            "quiet" => ProgressMode::Quiet,
            other => {
                anyhow::bail!("invalid --progress {other:?}: expected auto, plain, tty or quiet")
            }
        })
    }
}

/// Turns transfer events into docker's output.
pub struct Renderer {
    mode: ProgressMode,
    state: Arc<Mutex<Board>>,
}

#[derive(Default)]
struct Board {
    /// (layer id, current text), in first-seen order, for the tty redraw.
    rows: Vec<(String, String)>,
    drawn: usize,
}

impl Renderer {
    pub fn new(mode: ProgressMode) -> Renderer {
        Renderer {
            mode,
            state: Arc::default(),
        }
    }

    pub fn reporter(&self) -> Reporter {
        let mode = self.mode;
        let state = self.state.clone();
        Arc::new(move |ev: Event| {
            let mut out = std::io::stdout().lock();
            let Ok(mut b) = state.lock() else { return };
            match (mode, ev) {
                (ProgressMode::Quiet, _) => {}
                (ProgressMode::Plain, Event::Line(l)) => {
                    let _ = writeln!(out, "{l}");
                }
                (ProgressMode::Plain, Event::Layer { id, status }) => {
                    if !status.is_progress() {
                        let _ = writeln!(out, "{id}: {}", status.text());
                    }
                }
                (ProgressMode::Tty, Event::Line(l)) => {
                    let _ = writeln!(out, "{l}");
                    // Lines go above the board: start a new one.
                    b.rows.clear();
                    b.drawn = 0;
                }
                (ProgressMode::Tty, Event::Layer { id, status }) => {
                    let text = tty_text(&status);
                    match b.rows.iter_mut().find(|(i, _)| *i == id) {
                        Some(row) => row.1 = text,
                        None => b.rows.push((id, text)),
                    }
                    if b.drawn > 0 {
                        let _ = write!(out, "\x1b[{}A", b.drawn);
                    }
                    for (i, t) in &b.rows {
                        let _ = writeln!(out, "\x1b[2K{i}: {t}");
                    }
                    b.drawn = b.rows.len();
                }
            }
            let _ = out.flush();
        })
    }

    pub fn finish(&self) {
        let _ = std::io::stdout().flush();
    }
}

fn tty_text(s: &Status) -> String {
    match s {
        Status::Downloading { done, total } | Status::Pushing { done, total } => {
            let (done, total) = (*done, *total);
            let width = 50u64;
            let filled = (done.min(total) * width).checked_div(total).unwrap_or(0) as usize;
            let bar = format!(
                "[{}>{}]",
                "=".repeat(filled.saturating_sub(1)),
                " ".repeat(width as usize - filled.max(1))
            );
            format!("{} {bar} {}/{}", s.text(), human(done), human(total))
        }
        other => other.text(),
    }
}

/// docker's sizes: 1.2MB, 315MB (decimal units).
pub fn human(n: u64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u < units.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n}B")
    } else if v < 10.0 {
        format!("{v:.2}{}", units[u])
    } else if v < 100.0 {
        format!("{v:.1}{}", units[u])
    } else {
        format!("{v:.0}{}", units[u])
    }
}
