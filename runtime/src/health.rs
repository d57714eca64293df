//! Health checks (the image's HEALTHCHECK, `run --health-*`) without a
//! daemon: the container's monitor runs each probe through skiff's own
//! `exec` entry, as a child whose output it reads beside the container's,
//! so probing never blocks the log pump. Results go to the container's
//! state (`inspect`'s State.Health, `ps`'s "(healthy)") with docker's
//! rules: a start period whose failures do not count, `retries` failures
//! in a row make the container unhealthy, a probe that outlives its
//! timeout is killed and counts as a failure, the last five results kept.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::config::ContainerConfig;
use crate::paths::Layout;
use crate::run::{ExecOptions, ProcessOptions};
use crate::{now_rfc3339, state, REEXEC_ARG};

/// docker's Healthcheck (image config and container config alike):
/// `Test` is `["NONE"]`, `["CMD", argv...]` or `["CMD-SHELL", line]`;
/// durations in nanoseconds, 0 = docker's default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Healthcheck {
    #[serde(default)]
    pub test: Vec<String>,
    #[serde(default)]
    pub interval: i64,
    #[serde(default)]
    pub timeout: i64,
    #[serde(default)]
    pub start_period: i64,
    #[serde(default)]
    pub start_interval: i64,
    #[serde(default)]
    pub retries: i64,
}

impl Healthcheck {
    /// docker's merge of the container's settings over the image's: each
    /// unset field (empty test, zero duration) comes from the image.
    pub fn over(mut self, image: Option<&Healthcheck>) -> Healthcheck {
        if let Some(i) = image {
            if self.test.is_empty() {
                self.test = i.test.clone();
            }
            let fill = |mine: &mut i64, theirs: i64| {
                if *mine == 0 {
                    *mine = theirs;
                }
            };
            fill(&mut self.interval, i.interval);
            fill(&mut self.timeout, i.timeout);
            fill(&mut self.start_period, i.start_period);
            fill(&mut self.start_interval, i.start_interval);
            fill(&mut self.retries, i.retries);
        }
        self
    }

    /// Whether there is a probe to run (not NONE, not empty).
    pub fn enabled(&self) -> bool {
        self.argv().is_some()
    }

    /// The probe's argv, or None when there is no check.
    fn argv(&self) -> Option<Vec<String>> {
        match self.test.split_first() {
            Some((kind, rest)) if kind == "CMD" && !rest.is_empty() => Some(rest.to_vec()),
            Some((kind, rest)) if kind == "CMD-SHELL" && !rest.is_empty() => {
                Some(vec!["/bin/sh".into(), "-c".into(), rest.join(" ")])
            }
            _ => None,
        }
    }
}

/// State.Health as docker shows it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Health {
    /// starting, healthy or unhealthy.
    pub status: String,
    pub failing_streak: u32,
    pub log: Vec<Probe>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Probe {
    pub start: String,
    pub end: String,
    pub exit_code: i32,
    pub output: String,
}

/// State.Health of a container that just started: "starting" when it has
/// a check, none otherwise.
pub fn starting(cfg: &ContainerConfig) -> Option<Health> {
    cfg.healthcheck
        .as_ref()
        .filter(|h| h.enabled())
        .map(|_| Health {
            status: "starting".into(),
            ..Health::default()
        })
}

/// docker keeps this much of a probe's output, and this many results.
const MAX_OUTPUT: usize = 4096;
const MAX_LOG: usize = 5;

fn ns(n: i64, default: Duration) -> Duration {
    if n > 0 {
        Duration::from_nanos(n as u64)
    } else {
        default
    }
}

/// A probe in flight.
struct Running {
    pid: i32,
    out: OwnedFd,
    output: Vec<u8>,
    /// The pipe gave EOF: stop polling it until the probe is reaped.
    eof: bool,
    start: String,
    deadline: Instant,
}

/// The monitor's side: when to probe, the probe in flight, the results.
pub struct Checker {
    root: std::path::PathBuf,
    id: String,
    argv: Vec<String>,
    interval: Duration,
    timeout: Duration,
    start_period: Duration,
    start_interval: Duration,
    retries: u32,
    started: Instant,
    next: Instant,
    running: Option<Running>,
}

impl Checker {
    /// A checker for `cfg`'s health check, None when it has none (the
    /// container was recorded "starting" when it started: [`starting`]).
    pub fn new(layout: &Layout, cfg: &ContainerConfig) -> Option<Checker> {
        let hc = cfg.healthcheck.as_ref()?;
        let argv = hc.argv()?;
        let now = Instant::now();
        let mut c = Checker {
            root: layout.root().to_path_buf(),
            id: cfg.id.clone(),
            argv,
            interval: ns(hc.interval, Duration::from_secs(30)),
            timeout: ns(hc.timeout, Duration::from_secs(30)),
            start_period: ns(hc.start_period, Duration::ZERO),
            start_interval: ns(hc.start_interval, Duration::from_secs(5)),
            retries: if hc.retries > 0 { hc.retries as u32 } else { 3 },
            started: now,
            next: now,
            running: None,
        };
        c.next = now + c.gap();
        Some(c)
    }

    fn in_start_period(&self) -> bool {
        self.started.elapsed() < self.start_period
    }

    /// Time to the next probe: docker's start interval while the start
    /// period lasts, the interval after.
    fn gap(&self) -> Duration {
        if self.in_start_period() {
            self.start_interval.min(self.interval)
        } else {
            self.interval
        }
    }

    /// The probe's output fd to poll, or -1.
    pub fn fd(&self) -> i32 {
        match &self.running {
            Some(r) if !r.eof => r.out.as_raw_fd(),
            _ => -1,
        }
    }

    /// Milliseconds until the checker needs the loop back.
    pub fn wait_ms(&self) -> i32 {
        let at = self
            .running
            .as_ref()
            .map(|r| r.deadline)
            .unwrap_or(self.next);
        at.saturating_duration_since(Instant::now())
            .as_millis()
            .min(i32::MAX as u128) as i32
    }

    /// A probe is in flight.
    pub fn probing(&self) -> bool {
        self.running.is_some()
    }

    /// Kill the probe in flight, if any, and reap it unrecorded: the
    /// container is gone (a foreground runner's sidecar ends).
    pub fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            let mut status = 0;
            // SAFETY: signalling and reaping our own child.
            unsafe {
                libc::kill(r.pid, libc::SIGKILL);
                libc::waitpid(r.pid, &mut status, 0);
            }
        }
    }

    /// The probe's output is readable.
    pub fn read(&mut self) {
        let Some(r) = self.running.as_mut() else {
            return;
        };
        let mut buf = [0u8; 1024];
        // SAFETY: reading into our buffer from our pipe.
        let n = unsafe { libc::read(r.out.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n > 0 {
            let room = MAX_OUTPUT.saturating_sub(r.output.len());
            r.output.extend_from_slice(&buf[..(n as usize).min(room)]);
        } else {
            r.eof = true;
        }
    }

    /// A child exited: if it is the probe, record its result. True when
    /// `pid` was the probe's.
    pub fn reaped(&mut self, pid: i32, status: i32) -> bool {
        if self.running.as_ref().map(|r| r.pid) != Some(pid) {
            return false;
        }
        self.read();
        let r = self.running.take().expect("checked above");
        let code = crate::launch::exit_code(status);
        let output = String::from_utf8_lossy(&r.output).into_owned();
        self.record(r.start, code, output);
        true
    }

    /// Start a due probe; kill one that outlived its timeout.
    pub fn tick(&mut self) {
        let now = Instant::now();
        if let Some(r) = &self.running {
            if now >= r.deadline {
                // SAFETY: signalling our own child.
                unsafe { libc::kill(r.pid, libc::SIGKILL) };
                let r = self.running.take().expect("checked above");
                // The killed child is reaped (and ignored) by the loop.
                let msg = format!(
                    "Health check exceeded timeout ({})",
                    crate::health::go_duration(self.timeout)
                );
                self.record(r.start, -1, msg);
            }
            return;
        }
        if now >= self.next {
            self.spawn();
        }
    }

    fn spawn(&mut self) {
        let start = now_rfc3339();
        let deadline = Instant::now() + self.timeout;
        match self.start_probe() {
            Ok((pid, out)) => {
                self.running = Some(Running {
                    pid,
                    out,
                    output: Vec::new(),
                    eof: false,
                    start,
                    deadline,
                })
            }
            Err(e) => self.record(start, -1, format!("cannot run the health check: {e}")),
        }
    }

    /// The probe: skiff's exec entry into the container, stdout and
    /// stderr on one pipe.
    fn start_probe(&self) -> std::io::Result<(i32, OwnedFd)> {
        let req = ExecOptions {
            container: self.id.clone(),
            args: self.argv.clone(),
            process: ProcessOptions::default(),
            detach: false,
            privileged: false,
        };
        let json = serde_json::to_string(&req).map_err(std::io::Error::other)?;
        let mut fds = [0; 2];
        // SAFETY: pipe2 fills two fds.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: fresh fds we own.
        let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        // Our end only: the loop must never block on a probe's output.
        // SAFETY: fcntl on an fd we own.
        unsafe { libc::fcntl(r.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
        let w2 = w.try_clone()?;
        let child = crate::selfexe::command(&self.root)?
            .arg(REEXEC_ARG)
            .arg("exec")
            .arg(&self.root)
            .arg(&self.id)
            .arg(json)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::from(w))
            .stderr(std::process::Stdio::from(w2))
            .spawn()?;
        Ok((child.id() as i32, r))
    }

    /// docker's bookkeeping of one result.
    fn record(&mut self, start: String, code: i32, output: String) {
        let in_start = self.in_start_period();
        let retries = self.retries;
        let dir = Layout::new(&self.root).container(&self.id);
        let _ = state::update_state(&dir, true, |s| {
            let h = s.health.get_or_insert_with(Health::default);
            if code == 0 {
                h.status = "healthy".into();
                h.failing_streak = 0;
            } else if !in_start {
                h.failing_streak += 1;
                if h.failing_streak >= retries {
                    h.status = "unhealthy".into();
                }
            }
            h.log.push(Probe {
                start,
                end: now_rfc3339(),
                exit_code: code,
                output,
            });
            if h.log.len() > MAX_LOG {
                h.log.remove(0);
            }
        });
        self.next = Instant::now() + self.gap();
    }
}

/// A duration as Go prints it, for docker's timeout message (`30s`, `500ms`).
pub fn go_duration(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        let s = d.as_secs();
        return match (s / 3600, s % 3600 / 60, s % 60) {
            (0, 0, s) => format!("{s}s"),
            (0, m, s) => format!("{m}m{s}s"),
            (h, m, s) => format!("{h}h{m}m{s}s"),
        };
    }
    if d < Duration::from_secs(1) {
        return format!("{}ms", d.as_millis());
    }
    format!("{:.3}s", d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_settings_over_the_images() {
        let image = Healthcheck {
            test: vec!["CMD-SHELL".into(), "true".into()],
            interval: 5,
            retries: 7,
            ..Default::default()
        };
        let mine = Healthcheck {
            interval: 9,
            ..Default::default()
        }
        .over(Some(&image));
        assert_eq!(mine.test, image.test);
        assert_eq!((mine.interval, mine.retries), (9, 7));
        assert_eq!(
            mine.argv().unwrap(),
            ["/bin/sh", "-c", "true"].map(String::from)
        );
        let none = Healthcheck {
            test: vec!["NONE".into()],
            ..Default::default()
        };
        assert!(none.over(Some(&image)).argv().is_none());
    }

    #[test]
    fn go_durations() {
        assert_eq!(go_duration(Duration::from_secs(30)), "30s");
        assert_eq!(go_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(go_duration(Duration::from_millis(200)), "200ms");
    }
}
