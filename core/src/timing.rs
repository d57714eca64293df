//! `--debug-timing` (or `SKIFF_TIMING` in the environment): every phase
//! mark prints, on stderr, the milliseconds since the command started and
//! since this process's previous mark. One switch for the CLI, the builder
//! and the runtime, including the processes skiff re-executes into: the
//! variable carries the start instant (CLOCK_MONOTONIC, one clock for all
//! processes), so a re-executed runtime process reports on the same time
//! line as the CLI that started it. Off, a mark is one atomic load.

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};

/// The environment variable the switch travels in. `SKIFF_RUNTIME_TIMING`
/// is read too: the runtime's older name for the same switch.
pub const ENV: &str = "SKIFF_TIMING";

const UNKNOWN: u8 = 0;
const OFF: u8 = 1;
const ON: u8 = 2;
static STATE: AtomicU8 = AtomicU8::new(UNKNOWN);
/// CLOCK_MONOTONIC nanoseconds of the command's start, of this process's
/// last mark.
static START: AtomicU64 = AtomicU64::new(0);
static LAST: AtomicU64 = AtomicU64::new(0);

/// CLOCK_MONOTONIC in nanoseconds: what [`enable_from`] takes.
pub fn now_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own; CLOCK_MONOTONIC
    // always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Turn timing on for this process and the processes it starts. Call it
/// before any thread exists (it sets the environment).
pub fn enable() {
    enable_from(now_ns());
}

/// [`enable`], counting from `t0` (a [`now_ns`] taken when main began,
/// before the command line was parsed).
pub fn enable_from(t0: u64) {
    std::env::set_var(ENV, t0.to_string());
    START.store(t0, Ordering::Relaxed);
    LAST.store(t0, Ordering::Relaxed);
    STATE.store(ON, Ordering::Relaxed);
}

/// Whether marks print.
pub fn enabled() -> bool {
    match STATE.load(Ordering::Relaxed) {
        ON => true,
        OFF => false,
        _ => {
            let var = std::env::var(ENV).or_else(|_| std::env::var("SKIFF_RUNTIME_TIMING"));
            let Ok(v) = var else {
                STATE.store(OFF, Ordering::Relaxed);
                return false;
            };
            let now = now_ns();
            // A start instant from the parent, or this process starts the clock.
            let t0 = v.parse::<u64>().ok().filter(|&t| t <= now).unwrap_or(now);
            START.store(t0, Ordering::Relaxed);
            LAST.store(now, Ordering::Relaxed);
            STATE.store(ON, Ordering::Relaxed);
            true
        }
    }
}

/// Print `step` with the time since the command started and since this
/// process's previous mark.
pub fn mark(step: &str) {
    if !enabled() {
        return;
    }
    let now = now_ns();
    let last = LAST.swap(now, Ordering::Relaxed);
    let start = START.load(Ordering::Relaxed);
    eprintln!(
        "[timing {:>7}] {:>9.3} ms (+{:>8.3}) {step}",
        std::process::id(),
        now.saturating_sub(start) as f64 / 1e6,
        now.saturating_sub(last) as f64 / 1e6
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enabled_marks_count_from_the_start() {
        enable();
        assert!(enabled());
        assert_eq!(
            std::env::var(ENV).unwrap(),
            START.load(Ordering::Relaxed).to_string()
        );
        mark("a step");
        assert!(LAST.load(Ordering::Relaxed) >= START.load(Ordering::Relaxed));
    }
}
