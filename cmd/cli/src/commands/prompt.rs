//! `skiff login`'s prompts. For the password, terminal echo is off while
//! the password is typed and is always put back, on return, on error, on
//! panic (drop) and on Ctrl-C or SIGTERM, as docker's CLI does (moby/term
//! restores the terminal from an interrupt handler), so an interrupted
//! login never leaves the user's shell without echo.

use std::io::{BufRead, IsTerminal};

use nix::sys::signal::{SigSet, Signal};
use nix::sys::termios::{tcgetattr, tcsetattr, LocalFlags, SetArg, Termios};

/// Print `prompt` and read one line (without its line end).
pub fn read_line(prompt: &str) -> anyhow::Result<String> {
    crate::format::emit(prompt);
    let mut s = String::new();
    std::io::stdin().lock().read_line(&mut s)?;
    Ok(s.trim_end_matches(['\n', '\r']).to_string())
}

/// [`read_line`] with echo off, and the line end the user typed (not
/// echoed) printed after it.
pub fn read_password(prompt: &str) -> anyhow::Result<String> {
    let _echo = EchoOff::new();
    let line = read_line(prompt);
    say!();
    line
}

/// Echo off while alive. SIGINT and SIGTERM are blocked in this thread and
/// waited for by a helper thread (sigwait: no code runs in a signal
/// handler), which restores the terminal and exits as the signal would
/// have (128 + its number).
struct EchoOff {
    saved: Option<Termios>,
    signals: SigSet,
}

impl EchoOff {
    fn new() -> EchoOff {
        let mut signals = SigSet::empty();
        signals.add(Signal::SIGINT);
        signals.add(Signal::SIGTERM);
        let stdin = std::io::stdin();
        let saved = stdin
            .is_terminal()
            .then(|| tcgetattr(&stdin).ok())
            .flatten();
        let Some(saved) = saved else {
            return EchoOff {
                saved: None,
                signals,
            };
        };
        // Blocked before the waiter starts, so it inherits the mask and a
        // signal arriving now stays pending until it waits.
        if signals.thread_block().is_ok() {
            let restore = saved.clone();
            std::thread::spawn(move || {
                if let Ok(sig) = signals.wait() {
                    let _ = tcsetattr(std::io::stdin(), SetArg::TCSANOW, &restore);
                    say!();
                    std::process::exit(128 + sig as i32);
                }
            });
        }
        let mut quiet = saved.clone();
        quiet.local_flags.remove(LocalFlags::ECHO);
        let _ = tcsetattr(&stdin, SetArg::TCSANOW, &quiet);
        EchoOff {
            saved: Some(saved),
            signals,
        }
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        if let Some(t) = &self.saved {
            let _ = tcsetattr(std::io::stdin(), SetArg::TCSANOW, t);
            // From here a Ctrl-C ends login the usual way again.
            let _ = self.signals.thread_unblock();
        }
    }
}
