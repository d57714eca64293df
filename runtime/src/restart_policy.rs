//! `--restart`: docker's policies and back-off. There is no daemon to
//! restart a container, so the container's own monitor does it: when the
//! container exits and the policy says so, the monitor waits the back-off,
//! starts a fresh monitor for the container and ends (see
//! [`crate::monitor`]). A stopped or killed container is never restarted,
//! as docker's "manually stopped" rule says.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::ContainerConfig;
use crate::error::{Error, Result};
use crate::paths::Layout;
use crate::{lifecycle, state};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Policy {
    #[default]
    No,
    Always,
    UnlessStopped,
    OnFailure,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestartPolicy {
    pub policy: Policy,
    /// on-failure's `:N`; 0 = no limit.
    pub max_retries: u32,
}

impl RestartPolicy {
    /// Parse `no`, `always`, `unless-stopped`, `on-failure[:N]` with
    /// docker's messages.
    pub fn parse(s: &str) -> Result<RestartPolicy> {
        let (name, count) = match s.split_once(':') {
            Some((n, c)) => (n, Some(c)),
            None => (s, None),
        };
        let policy = match name {
            "" | "no" => Policy::No,
            "always" => Policy::Always,
            "unless-stopped" => Policy::UnlessStopped,
            "on-failure" => Policy::OnFailure,
            _ => {
                return Err(Error::Invalid(format!(
                    "invalid restart policy: unknown policy '{name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'"
                )))
            }
        };
        let max_retries = match count {
            None => 0,
            Some(c) if policy != Policy::OnFailure => {
                return Err(Error::Invalid(format!(
                    "invalid restart policy: maximum retry count can only be used with 'on-failure' (got '{c}')"
                )))
            }
            Some(c) => c.parse::<u32>().map_err(|_| {
                Error::Invalid(format!(
                    "invalid restart policy: maximum retry count must be a positive integer (got '{c}')"
                ))
            })?,
        };
        Ok(RestartPolicy {
            policy,
            max_retries,
        })
    }

    /// docker's name for `inspect` (HostConfig.RestartPolicy.Name).
    pub fn name(&self) -> &'static str {
        match self.policy {
            Policy::No => "no",
            Policy::Always => "always",
            Policy::UnlessStopped => "unless-stopped",
            Policy::OnFailure => "on-failure",
        }
    }

    pub fn is_none(&self) -> bool {
        self.policy == Policy::No
    }

    /// Whether a container that exited with `code` after `restarts`
    /// restarts is started again; never after a stop or kill.
    pub fn should_restart(&self, code: i32, restarts: u32, manually_stopped: bool) -> bool {
        if manually_stopped {
            return false;
        }
        match self.policy {
            Policy::No => false,
            Policy::Always | Policy::UnlessStopped => true,
            Policy::OnFailure => {
                code != 0 && (self.max_retries == 0 || restarts < self.max_retries)
            }
        }
    }
}

/// docker's back-off: 100 ms, doubled for each restart in a row, at most a
/// minute; a container that ran for 10 s or more starts the series again.
pub fn backoff(restarts_in_a_row: u32, ran: Duration) -> Duration {
    if ran >= Duration::from_secs(10) {
        return Duration::from_millis(100);
    }
    let ms = 100u64.saturating_mul(1u64 << restarts_in_a_row.min(10));
    Duration::from_millis(ms.min(60_000))
}

/// Run by the process that saw the container exit (its monitor, or the
/// foreground runner through [`hand_over`]): apply the restart policy.
/// Marks the container restarting under this process, waits the
/// back-off, and starts it under a new monitor unless a `stop`, `kill` or
/// `rm` came in between (they clear the mark or end this process).
pub fn after_exit(layout: &Layout, cfg: &ContainerConfig, code: i32) {
    let policy = stored(layout, cfg);
    if policy.is_none() || cfg.auto_remove {
        return;
    }
    let dir = layout.container(&cfg.id);
    let Ok(st) = state::load_state(&dir) else {
        return;
    };
    if !policy.should_restart(code, st.restart_count, st.stopped_by_user) {
        return;
    }
    let ran = ran_for(&st.started_at, &st.finished_at);
    let delay = backoff(st.restart_count, ran);
    let me = std::process::id() as i32;
    let marked = state::update_state(&dir, true, |s| {
        s.restarting = true;
        s.monitor_pid = me;
    });
    if marked.is_err() {
        return;
    }
    std::thread::sleep(delay);
    let go = state::update_state(&dir, true, |s| {
        if s.restarting && !s.stopped_by_user {
            s.restart_count += 1;
        }
    });
    match go {
        Ok(s) if s.restarting && !s.stopped_by_user => {}
        _ => return,
    }
    if let Err(e) = lifecycle::start_detached(layout, &cfg.id) {
        let _ = state::update_state(&dir, true, |s| {
            s.restarting = false;
            s.monitor_pid = 0;
            s.error = e.to_string();
        });
    }
}

/// The foreground runner's way to [`after_exit`]: the CLI returns the
/// container's code at once (as docker's client does), while a detached
/// child waits the back-off and restarts the container.
pub fn hand_over(layout: &Layout, cfg: &ContainerConfig, code: i32) {
    if stored(layout, cfg).is_none() {
        return;
    }
    // SAFETY: fork of the single-threaded runner; the child only runs
    // after_exit and exits.
    if unsafe { libc::fork() } == 0 {
        crate::tty::leave_callers_terminal();
        after_exit(layout, cfg, code);
        unsafe { libc::_exit(0) };
    }
}

/// The policy as stored now: `update --restart` may have changed it since
/// the monitor or runner loaded `cfg` at start, and docker's next decision
/// follows the update. A config gone (removed) keeps the one loaded.
fn stored(layout: &Layout, cfg: &ContainerConfig) -> RestartPolicy {
    state::load_config(&layout.container(&cfg.id))
        .map(|c| c.host.restart)
        .unwrap_or(cfg.host.restart)
}

fn ran_for(started: &str, finished: &str) -> Duration {
    let parse = |t: &str| chrono::DateTime::parse_from_rfc3339(t).ok();
    match (parse(started), parse(finished)) {
        (Some(a), Some(b)) => (b - a).to_std().unwrap_or_default(),
        _ => Duration::ZERO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dockers_policies() {
        assert_eq!(RestartPolicy::parse("no").unwrap().policy, Policy::No);
        assert_eq!(
            RestartPolicy::parse("on-failure:3").unwrap(),
            RestartPolicy {
                policy: Policy::OnFailure,
                max_retries: 3
            }
        );
        assert!(RestartPolicy::parse("always:3").is_err());
        assert!(RestartPolicy::parse("sometimes").is_err());
        assert!(RestartPolicy::parse("on-failure:x").is_err());
    }

    #[test]
    fn restarts_as_docker_decides() {
        let on_failure = RestartPolicy::parse("on-failure:2").unwrap();
        assert!(on_failure.should_restart(1, 0, false));
        assert!(on_failure.should_restart(1, 1, false));
        assert!(!on_failure.should_restart(1, 2, false), "retries used up");
        assert!(!on_failure.should_restart(0, 0, false), "clean exit");
        let always = RestartPolicy::parse("always").unwrap();
        assert!(always.should_restart(0, 99, false));
        assert!(!always.should_restart(0, 0, true), "stopped by the user");
    }

    #[test]
    fn backoff_doubles_and_resets() {
        assert_eq!(backoff(0, Duration::ZERO), Duration::from_millis(100));
        assert_eq!(backoff(3, Duration::ZERO), Duration::from_millis(800));
        assert_eq!(backoff(30, Duration::ZERO), Duration::from_secs(60));
        assert_eq!(
            backoff(5, Duration::from_secs(11)),
            Duration::from_millis(100)
        );
    }
}
