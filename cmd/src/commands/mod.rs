//! One module per command; each exposes `Args` (clap) and `run`.

pub mod pull;
pub mod push;
pub mod images;
pub mod tag;
pub mod rmi;
pub mod import;
pub mod save;
pub mod load;
pub mod login;
pub mod logout;
pub mod build;
pub mod build_check;
pub mod builder;
pub mod buildx;
pub mod run;
pub mod ps;
pub mod logs;
pub mod exec;
pub mod stop;
pub mod kill;
pub mod rm;
pub mod start;
pub mod restart;
pub mod wait;
pub mod top;
pub mod stats;
pub mod inspect;
pub mod image_inspect;
pub mod image_prune;
pub mod container_prune;
pub mod version;
pub mod completion;
pub mod volume;
pub mod system;
pub mod debug;

/// Placeholder for commands whose capability has not landed yet: a clear
/// error and docker's exit code for a tool error, never a silent success.
pub fn not_yet(name: &str) -> anyhow::Result<i32> {
    Err(crate::exit::Failure::new(
        crate::exit::SKIFF_ERROR,
        format!("`skiff {name}` is not implemented yet"),
    ))
}
