//! One module per command; each exposes `Args` (clap) and `run`.

pub mod build;
pub mod build_check;
pub mod builder;
pub mod buildx;
pub mod completion;
pub mod container_prune;
pub mod debug;
pub mod each;
pub mod exec;
pub mod image_inspect;
pub mod image_prune;
pub mod images;
pub mod import;
pub mod inspect;
pub mod kill;
pub mod load;
pub mod login;
pub mod logout;
pub mod logs;
pub mod network;
pub mod object_args;
pub mod port;
pub mod prune_shared;
pub mod ps;
pub mod pull;
pub mod push;
pub mod rm;
pub mod rmi;
pub mod run;
pub mod save;
pub mod start;
pub mod stats;
pub mod stop;
pub mod system;
pub mod tag;
pub mod top;
pub mod transfer;
pub mod version;
pub mod volume;
pub mod wait;

/// Placeholder for commands whose capability has not landed yet: a clear
/// error and docker's exit code for a tool error, never a silent success.
pub fn not_yet(name: &str) -> anyhow::Result<i32> {
    Err(crate::exit::Failure::new(
        crate::exit::SKIFF_ERROR,
        format!("`skiff {name}` is not implemented yet"),
    ))
}
