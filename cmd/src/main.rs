//! `skiff`: build, run, push and list OCI images with no daemon.
//!
//! The binary crate is only this line; the CLI is the skiff-cli library
//! (`cmd/cli`). Two crates so that the release profile can build the CLI at
//! opt-level "z" while this crate stays at 3: fat LTO runs its final
//! pipeline at the binary crate's level, and zlib-rs's loops need O3's
//! vectorisers (issue 12, root Cargo.toml).

fn main() -> std::process::ExitCode {
    skiff_cli::main()
}
