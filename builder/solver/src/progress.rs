//! Build progress. `plain` prints BuildKit's plain format (`#N [stage k/n]
//! INSTRUCTION`, `#N CACHED`, RUN output prefixed with `#N`, `#N DONE 0.3s`);
//! `tty` redraws a compact view of the running steps in a terminal; `quiet`
//! prints nothing.

use std::io::Write;
use std::sync::Mutex;
use std::time::Instant;

/// What the solver reports.
#[derive(Debug, Clone)]
pub enum Event {
    /// A step started: its number and title (`[build 2/4] COPY . .`).
    Start { id: usize, title: String },
    /// Its result came from the cache.
    Cached { id: usize },
    /// A line of RUN output.
    Log { id: usize, line: String },
    /// The step finished.
    Done { id: usize, secs: f64 },
    /// The step failed.
    Error { id: usize, message: String },
    /// A line not tied to a step (exporting, naming).
    Info(String),
}

pub trait Progress: Send + Sync {
    fn event(&self, e: Event);
}

/// Nothing at all (`-q`, `--progress quiet`).
pub struct Quiet;

impl Progress for Quiet {
    fn event(&self, _e: Event) {}
}

/// BuildKit's `--progress plain`.
pub struct Plain {
    out: Mutex<Box<dyn Write + Send>>,
    start: Instant,
}

impl Plain {
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        Plain {
            out: Mutex::new(out),
            start: Instant::now(),
        }
    }
}

impl Progress for Plain {
    fn event(&self, e: Event) {
        let Ok(mut o) = self.out.lock() else { return };
        let _ = match e {
            Event::Start { id, title } => writeln!(o, "\n#{id} {title}"),
            Event::Cached { id } => writeln!(o, "#{id} CACHED"),
            Event::Log { id, line } => {
                writeln!(o, "#{id} {:.3} {line}", self.start.elapsed().as_secs_f64())
            }
            Event::Done { id, secs } => writeln!(o, "#{id} DONE {secs:.1}s"),
            Event::Error { id, message } => writeln!(o, "#{id} ERROR: {message}"),
            Event::Info(line) => writeln!(o, "{line}"),
        };
        let _ = o.flush();
    }
}

/// A compact live view for terminals: one line per step, updated in place,
/// with the last line of output of running steps.
pub struct Tty {
    state: Mutex<TtyState>,
    start: Instant,
}

struct TtyState {
    steps: Vec<(usize, String, String)>,
    drawn: usize,
}

impl Tty {
    pub fn new() -> Self {
        Tty {
            state: Mutex::new(TtyState {
                steps: Vec::new(),
                drawn: 0,
            }),
            start: Instant::now(),
        }
    }
}

impl Default for Tty {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress for Tty {
    fn event(&self, e: Event) {
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        let width = terminal_width();
        match e {
            Event::Start { id, title } => st.steps.push((id, title, "...".into())),
            Event::Cached { id } => set(&mut st.steps, id, "CACHED".into()),
            Event::Log { id, line } => set(&mut st.steps, id, format!("| {line}")),
            Event::Done { id, secs } => {
                let cur = st.steps.iter().find(|s| s.0 == id).map(|s| s.2.clone());
                if cur.as_deref() != Some("CACHED") {
                    set(&mut st.steps, id, format!("{secs:.1}s"));
                }
            }
            Event::Error { id, message } => set(&mut st.steps, id, format!("ERROR: {message}")),
            Event::Info(line) => st.steps.push((0, line, String::new())),
        }
        let mut err = std::io::stderr().lock();
        if st.drawn > 0 {
            let _ = write!(err, "\x1b[{}A", st.drawn);
        }
        let _ = writeln!(
            err,
            "\x1b[2K[+] Building {:.1}s",
            self.start.elapsed().as_secs_f64()
        );
        for (id, title, status) in &st.steps {
            let mut line = if *id == 0 {
                title.clone()
            } else {
                format!(" => {title} {status}")
            };
            if line.chars().count() > width {
                line = line.chars().take(width.saturating_sub(1)).collect();
            }
            let _ = writeln!(err, "\x1b[2K{line}");
        }
        st.drawn = st.steps.len() + 1;
        let _ = err.flush();
    }
}

fn set(steps: &mut [(usize, String, String)], id: usize, status: String) {
    if let Some(s) = steps.iter_mut().find(|s| s.0 == id) {
        s.2 = status;
    }
}

fn terminal_width() -> usize {
    // SAFETY: TIOCGWINSZ fills a winsize struct; we pass a valid one.
    unsafe {
        let mut ws: libc::winsize = std::mem::zeroed();
        if libc::ioctl(2, libc::TIOCGWINSZ, &mut ws) == 0 && ws.ws_col > 0 {
            return ws.ws_col as usize;
        }
    }
    120
}
