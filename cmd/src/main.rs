//! `skiff`: build, run, push and list OCI images with no daemon.
//!
//! This crate is deliberately thin: it parses docker-compatible command lines,
//! calls into the library crates (builder, runtime, embedded) and renders their
//! results the way docker does. Exit codes follow docker: the container's own
//! code when one ran, 125 for skiff's own errors, 126 when the command cannot be
//! invoked and 127 when it is not found.

mod cli;
mod commands;
mod exit;
mod globals;

use std::process::ExitCode;

fn main() -> ExitCode {
    let code = match cli::parse() {
        Ok(invocation) => match invocation.run() {
            Ok(code) => code,
            Err(err) => exit::report(&err),
        },
        Err(code) => code,
    };
    ExitCode::from(code.clamp(0, 255) as u8)
}
