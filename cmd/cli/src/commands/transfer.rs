//! What pull and push share: the registry flags, the transfer flags, and
//! the renderer that turns transfer events into docker's output.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use clap::Args as ClapArgs;
use skiff_registry::events::{Event, Reporter, Status};
use skiff_registry::{Options, Platform, Reference, Registry};
use skiff_store::Store;

use crate::format::human_size;
use crate::globals::Globals;

/// Registry connection flags (pull, push, login).
#[derive(Debug, Default, Clone, ClapArgs)]
pub struct RegistryArgs {
    /// Allow plain HTTP (or unverified HTTPS) for this registry (repeatable);
    /// loopback registries never need it
    #[arg(long, value_name = "HOST[:PORT]")]
    pub insecure_registry: Vec<String>,
}

impl RegistryArgs {
    /// Connection options: these flags plus the user's settings.
    pub fn options(&self) -> anyhow::Result<Options> {
        Ok(Options {
            insecure_registries: self.insecure_registry.clone(),
        }
        .with_settings()?)
    }
}

/// Transfer flags pull and push share.
#[derive(Debug, Default, Clone, ClapArgs)]
pub struct TransferArgs {
    /// All tags of the repository (not supported yet: refused)
    #[arg(short = 'a', long)]
    pub all_tags: bool,

    /// Suppress verbose output
    #[arg(short, long)]
    pub quiet: bool,

    /// Skip image verification/signing (skiff never verifies signatures,
    /// so this is what it always does)
    #[arg(long, hide = true)]
    pub disable_content_trust: bool,

    #[command(flatten)]
    pub registry: RegistryArgs,

    /// Progress output: auto, plain, tty or quiet
    #[arg(long, value_name = "MODE", default_value = "auto")]
    pub progress: String,
}

/// What a pull or push works with, set up the same way for both.
pub struct Transfer {
    pub reference: Reference,
    /// `--platform`: the one platform to pull or push.
    pub platform: Option<Platform>,
    pub options: Options,
    pub store: Store,
    pub mode: ProgressMode,
    /// pull and push write to stdout; run's pull to stderr.
    pub to: Stream,
}

/// `pull`'s and `push`'s command line: the image, `--platform` and the
/// transfer flags. `V` says what differs: the help texts, and what is done
/// with the transfer once it is set up.
#[derive(Debug, Default, ClapArgs)]
pub struct TransferCommand<V: Verb> {
    #[arg(value_name = V::NAME, help = V::NAME_HELP)]
    pub name: String,
    #[arg(long, value_name = "PLATFORM", help = V::PLATFORM_HELP, env = V::PLATFORM_ENV)]
    pub platform: Option<String>,
    #[command(flatten)]
    pub transfer: TransferArgs,
    #[arg(skip)]
    verb: std::marker::PhantomData<V>,
}

/// `pull` or `push`, for a [`TransferCommand`].
pub trait Verb: std::fmt::Debug + Default + Send + Sync + 'static {
    /// The command's name, as its refusals say it.
    const VERB: &'static str;
    /// The image argument's value name and help.
    const NAME: &'static str;
    const NAME_HELP: &'static str;
    const PLATFORM_HELP: &'static str;
    /// The variable `--platform` defaults from, if any.
    const PLATFORM_ENV: Option<&'static str>;
    /// The pull or push itself; `name` is the image as given.
    fn transfer(t: &Transfer, name: &str) -> anyhow::Result<()>;
}

impl<V: Verb> TransferCommand<V> {
    /// The transfer set up (see [`TransferArgs::prepare`]), then `V`'s
    /// work; any failure exits 1, as docker's do.
    pub fn run(&self, g: &Globals) -> anyhow::Result<i32> {
        let name = &self.name;
        self.transfer
            .prepare(g, name, self.platform.as_deref(), V::VERB)
            .and_then(|t| V::transfer(&t, name))
            .map_err(crate::exit::exits_one)?;
        Ok(0)
    }
}

impl TransferArgs {
    /// Check the flags and the reference, open the store: everything that
    /// can fail before the network is touched.
    fn prepare(
        &self,
        g: &Globals,
        name: &str,
        platform: Option<&str>,
        verb: &str,
    ) -> anyhow::Result<Transfer> {
        let platform = platform_flag(platform)?;
        if self.all_tags {
            return Err(crate::exit::unsupported(
                "--all-tags",
                &format!("{verb} tags one by one"),
            ));
        }
        let reference = skiff_registry::parse_reference(name)?;
        let options = self.registry.options()?;
        let store = Store::open(&g.root)
            .with_context(|| format!("opening the store at {}", g.root.display()))?;
        let mode = ProgressMode::parse(&self.progress, self.quiet)?;
        Ok(Transfer {
            reference,
            platform,
            options,
            store,
            mode,
            to: Stream::Stdout,
        })
    }
}

impl Transfer {
    /// The pull `run` and `create` make of a missing image (docker's
    /// auto-pull): the user's registry settings, and the progress on
    /// stderr (redrawn when stderr is a terminal, none with `-q`), so
    /// stdout keeps the container's output or `-d`'s id.
    pub fn auto_pull(
        g: &Globals,
        name: &str,
        platform: Option<Platform>,
        quiet: bool,
    ) -> anyhow::Result<Transfer> {
        let to = Stream::Stderr;
        let mode = match (quiet, to.is_terminal()) {
            (true, _) => ProgressMode::Quiet,
            (false, true) => ProgressMode::Tty,
            (false, false) => ProgressMode::Plain,
        };
        Ok(Transfer {
            reference: skiff_registry::parse_reference(name)?,
            platform,
            options: RegistryArgs::default().options()?,
            store: Store::open(&g.root)
                .with_context(|| format!("opening the store at {}", g.root.display()))?,
            mode,
            to,
        })
    }

    /// One line of the transfer's own (Digest:, Status:), where its
    /// progress goes.
    pub fn say(&self, text: &str) {
        self.to.line(text);
    }

    /// Run one transfer with docker's progress output.
    pub fn run<T, F: std::future::Future<Output = Result<T, skiff_registry::Error>>>(
        &self,
        work: impl FnOnce(Registry, Reporter) -> F,
    ) -> anyhow::Result<T> {
        let renderer = Renderer::new(self.mode, self.to);
        let rt = skiff_registry::runtime()?;
        let reg = Registry::connect(&self.reference, &self.options)?;
        let result = rt.block_on(work(reg, renderer.reporter()));
        renderer.finish();
        Ok(result?)
    }
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

/// Where transfer output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    fn writer(self) -> Box<dyn Write> {
        match self {
            Stream::Stdout => Box::new(std::io::stdout().lock()),
            Stream::Stderr => Box::new(std::io::stderr().lock()),
        }
    }

    /// One line, ignoring a closed stream (`skiff pull x | head -1`).
    pub fn line(self, text: &str) {
        let mut out = self.writer();
        let _ = writeln!(out, "{text}").and_then(|()| out.flush());
    }

    pub fn is_terminal(self) -> bool {
        match self {
            Stream::Stdout => std::io::stdout().is_terminal(),
            Stream::Stderr => std::io::stderr().is_terminal(),
        }
    }
}

/// Turns transfer events into docker's output.
pub struct Renderer {
    mode: ProgressMode,
    to: Stream,
    state: Arc<Mutex<Board>>,
}

#[derive(Default)]
struct Board {
    /// (layer id, current text), in first-seen order, for the tty redraw.
    rows: Vec<(String, String)>,
    drawn: usize,
}

impl Renderer {
    pub fn new(mode: ProgressMode, to: Stream) -> Renderer {
        Renderer {
            mode,
            to,
            state: Arc::default(),
        }
    }

    pub fn reporter(&self) -> Reporter {
        let mode = self.mode;
        let to = self.to;
        let state = self.state.clone();
        Arc::new(move |ev: Event| {
            let mut out = to.writer();
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
        let _ = self.to.writer().flush();
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
            format!(
                "{} {bar} {}/{}",
                s.text(),
                human_size(done),
                human_size(total)
            )
        }
        other => other.text(),
    }
}

/// The `--platform` flag of run, create, pull, push, save and image
/// inspect: skiff-core's one parser, the flag named in its error.
pub fn platform_flag(v: Option<&str>) -> anyhow::Result<Option<skiff_store::Platform>> {
    v.map(skiff_store::Platform::parse)
        .transpose()
        .context("--platform")
}
