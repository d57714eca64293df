//! skiff's command line: build, run, push and list OCI images with no daemon.
//!
//! This crate is deliberately thin: it parses docker-compatible command lines,
//! calls into the library crates (builder, runtime, embedded) and renders their
//! results the way docker does. Exit codes follow docker: the container's own
//! code when one ran, 125 for skiff's own errors, 126 when the command cannot be
//! invoked and 127 when it is not found.
//!
//! It is a library under the one-line `skiff` binary (skiff-cmd, `cmd/`)
//! only for the release profile: this crate is built at opt-level "z" (clap's
//! derive code is most of its size) while the binary crate stays at 3,
//! because the binary's level sets fat LTO's pipeline for the whole program
//! and zlib-rs needs O3's vectorisers (issue 12, root Cargo.toml).

/// `println!` that ignores a closed stdout (`skiff images | head -1`)
/// instead of panicking: every command prints through it or
/// `format::emit`. Defined before the modules so all of them see it.
macro_rules! say {
    () => {
        $crate::format::emit("\n")
    };
    ($($t:tt)*) => {
        $crate::format::emit(&format!("{}\n", format_args!($($t)*)))
    };
}

mod cli;
mod commands;
mod exit;
mod format;
mod globals;
mod pflag;

use std::process::ExitCode;

/// The whole of `skiff`: the binary's `main` calls only this.
pub fn main() -> ExitCode {
    // skiff's container runtime re-execs itself for every libcontainer call;
    // those processes must stay single threaded, so this comes before clap,
    // logging or anything that could start a thread.
    if let Some(code) = skiff_runtime::reexec_entry() {
        return ExitCode::from(code);
    }
    let started = skiff_core::timing::now_ns();
    let code = match cli::parse() {
        Ok(invocation) => match invocation.run(started) {
            Ok(code) => code,
            Err(err) => exit::report(&err),
        },
        Err(code) => code,
    };
    ExitCode::from(code.clamp(0, 255) as u8)
}
