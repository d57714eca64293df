//! Options every subcommand shares: where the store lives and how loud to be.

use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Root directory of skiff's store and state
    #[arg(long, global = true, env = "SKIFF_ROOT", value_name = "DIR")]
    pub root: Option<PathBuf>,

    /// Set the logging level ("debug", "info", "warn", "error", "fatal")
    #[arg(long, global = true, value_name = "LEVEL", default_value = "warn")]
    pub log_level: String,

    /// Enable debug mode (same as --log-level debug)
    #[arg(short = 'D', long, global = true)]
    pub debug: bool,

    /// Print how long each phase took (ms since start, + since the last
    /// mark) to stderr, e.g. a container start's store lookup, rootfs,
    /// spec, namespaces, network, cgroups, seccomp and exec
    #[arg(long, global = true)]
    pub debug_timing: bool,
}

/// Resolved global settings handed to every command.
#[derive(Debug, Clone)]
pub struct Globals {
    pub root: PathBuf,
}

impl Globals {
    /// The runtime's view of the root (containers, volumes, networks),
    /// created if needed and made absolute.
    pub fn layout(&self) -> anyhow::Result<skiff_runtime::Layout> {
        Ok(skiff_runtime::Layout::new(self.absolute_root()?))
    }

    /// The root, created if needed and made absolute (the runtime keeps
    /// absolute paths in container state).
    pub fn absolute_root(&self) -> anyhow::Result<PathBuf> {
        use anyhow::Context;
        let root = &self.root;
        std::fs::create_dir_all(root)
            .with_context(|| format!("cannot create {}", root.display()))?;
        std::fs::canonicalize(root).with_context(|| format!("cannot resolve {}", root.display()))
    }
}

impl GlobalArgs {
    pub fn resolve(&self) -> Globals {
        let root = self.root.clone().unwrap_or_else(default_root);
        Globals { root }
    }

    /// Install the tracing subscriber; logs go to stderr so stdout stays
    /// machine-readable (`images -q`, `--format json`). An unknown level is
    /// refused, as docker does, rather than read as a filter.
    pub fn init_logging(&self) -> anyhow::Result<()> {
        let lower = self.log_level.to_ascii_lowercase();
        let level = match (self.debug, lower.as_str()) {
            (true, _) => "debug",
            (false, "fatal") => "error",
            (false, l @ ("trace" | "debug" | "info" | "warn" | "error")) => l,
            _ => {
                return Err(crate::exit::Failure::new(
                    crate::exit::SKIFF_ERROR,
                    format!(
                        "--log-level: unable to parse logging level: {} (debug, info, warn, error, fatal)",
                        self.log_level
                    ),
                ))
            }
        };
        let filter = tracing_subscriber::EnvFilter::try_from_env("SKIFF_LOG")
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_target(false)
            .try_init();
        Ok(())
    }
}

/// docker keeps its state in /var/lib/docker; skiff uses /var/lib/skiff as
/// root and the XDG data dir otherwise, as podman does for rootless users.
fn default_root() -> PathBuf {
    if nix::unistd::geteuid().is_root() {
        return PathBuf::from("/var/lib/skiff");
    }
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(xdg).join("skiff");
    }
    match std::env::var_os("HOME") {
        Some(home) => PathBuf::from(home).join(".local/share/skiff"),
        None => PathBuf::from("/var/lib/skiff"),
    }
}
