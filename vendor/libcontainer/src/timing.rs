//! skiff patch 4: `--debug-timing` marks inside libcontainer's three
//! processes (main, intermediate, init), in the format and on the clock of
//! skiff's `skiff_core::timing` (the start instant travels in
//! `SKIFF_TIMING`). Off, a mark is one atomic load.

use std::io::Write;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};

static STATE: AtomicU8 = AtomicU8::new(0);
static START: AtomicU64 = AtomicU64::new(0);
static LAST: AtomicU64 = AtomicU64::new(0);

fn now_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Print `step` (prefixed `lc:`) if skiff's timing is on.
pub fn mark(step: &str) {
    match STATE.load(Ordering::Relaxed) {
        1 => return,
        2 => {}
        _ => {
            let Some(t0) = std::env::var("SKIFF_TIMING")
                .ok()
                .and_then(|v| v.parse::<u64>().ok())
            else {
                STATE.store(1, Ordering::Relaxed);
                return;
            };
            START.store(t0, Ordering::Relaxed);
            LAST.store(now_ns(), Ordering::Relaxed);
            STATE.store(2, Ordering::Relaxed);
        }
    }
    let now = now_ns();
    let last = LAST.swap(now, Ordering::Relaxed);
    let start = START.load(Ordering::Relaxed);
    let line = format!(
        "[timing {:>7}] {:>9.3} ms (+{:>8.3}) lc: {step}\n",
        std::process::id(),
        now.saturating_sub(start) as f64 / 1e6,
        now.saturating_sub(last) as f64 / 1e6,
    );
    let _ = std::io::stderr().write_all(line.as_bytes());
}
