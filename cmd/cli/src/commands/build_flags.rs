//! The `docker build` (buildx build) flags beyond naming what to build:
//! the limits and security options every RUN container gets, the flags
//! accepted because skiff already does what they ask, and the ones refused
//! by name with the reason. None is taken and then ignored; the README's
//! "docker build flags" table lists each.

use std::path::{Path, PathBuf};

use clap::builder::BoolishValueParser;
use clap::Args as ClapArgs;
use skiff_solver::run::RunSandbox;
use skiff_solver::{export, BuildResult};

use crate::exit::unsupported;

/// Flags of `docker buildx build` (docker 24+) and the classic builder's
/// that buildx still takes (hidden there).
#[derive(Debug, Default, Clone, ClapArgs)]
pub struct DockerFlags {
    /// Remove intermediate containers after a successful build (always)
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true",
          value_parser = BoolishValueParser::new(), value_name = "BOOL")]
    pub rm: Option<bool>,

    /// Always remove intermediate containers (skiff always does)
    #[arg(long, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_parser = BoolishValueParser::new(),
          value_name = "BOOL")]
    pub force_rm: Option<bool>,

    /// Compress the build context using gzip (nothing is sent anywhere)
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true",
          value_parser = BoolishValueParser::new(), value_name = "BOOL")]
    pub compress: Option<bool>,

    /// Container isolation technology (only "default" on Linux)
    #[arg(long, value_name = "STRING")]
    pub isolation: Option<String>,

    /// Memory limit for RUN containers
    #[arg(short = 'm', long, value_name = "BYTES")]
    pub memory: Option<String>,

    /// Swap limit equal to memory plus swap: -1 to enable unlimited swap
    #[arg(long, value_name = "BYTES", allow_hyphen_values = true)]
    pub memory_swap: Option<String>,

    /// CPU shares (relative weight) for RUN containers
    #[arg(short = 'c', long, value_name = "INT")]
    pub cpu_shares: Option<u64>,

    /// Limit the CPU CFS period (refused: not supported yet)
    #[arg(long, value_name = "INT")]
    pub cpu_period: Option<String>,

    /// Limit the CPU CFS quota (refused: not supported yet)
    #[arg(long, value_name = "INT")]
    pub cpu_quota: Option<String>,

    /// CPUs in which to allow execution (refused: not supported yet)
    #[arg(long, value_name = "STRING")]
    pub cpuset_cpus: Option<String>,

    /// MEMs in which to allow execution (refused: not supported yet)
    #[arg(long, value_name = "STRING")]
    pub cpuset_mems: Option<String>,

    /// Security options for RUN containers (seccomp=, no-new-privileges...)
    #[arg(long, value_name = "OPT")]
    pub security_opt: Vec<String>,

    /// Set the parent cgroup for RUN containers (refused: not supported yet)
    #[arg(long, value_name = "STRING")]
    pub cgroup_parent: Option<String>,

    /// External cache sources (e.g., "user/app:cache", "type=local,src=path/to/dir")
    #[arg(long, value_name = "SPEC")]
    pub cache_from: Vec<String>,

    /// Cache export destinations (e.g., "user/app:cache", "type=local,dest=path/to/dir")
    #[arg(long, value_name = "SPEC")]
    pub cache_to: Vec<String>,

    /// Allow extra privileged entitlement ("network.host", "security.insecure")
    #[arg(long, value_name = "ENTITLEMENT")]
    pub allow: Vec<String>,

    /// Add annotation to the image (refused: not supported yet)
    #[arg(long, value_name = "KEY=VALUE")]
    pub annotation: Vec<String>,

    /// Attestation parameters (refused: skiff makes no attestations)
    #[arg(long, value_name = "SPEC")]
    pub attest: Vec<String>,

    /// Shorthand for "--attest=type=sbom" (only "false" is accepted)
    #[arg(long, value_name = "SPEC")]
    pub sbom: Option<String>,

    /// Shorthand for "--attest=type=provenance" (only "false" is accepted)
    #[arg(long, value_name = "SPEC")]
    pub provenance: Option<String>,

    /// Additional build contexts (refused: not supported yet)
    #[arg(long, value_name = "NAME=VALUE")]
    pub build_context: Vec<String>,

    /// Override the configured builder instance (skiff has one)
    #[arg(long, value_name = "NAME")]
    pub builder: Option<String>,

    /// Set method for evaluating build ("build", "check")
    #[arg(long, value_name = "METHOD")]
    pub call: Option<String>,

    /// Write build result metadata to a file
    #[arg(long, value_name = "FILE")]
    pub metadata_file: Option<PathBuf>,

    /// Resource limits for RUN containers (refused: use --memory, --cpu-shares)
    #[arg(long, value_name = "KEY=VALUE")]
    pub resource: Vec<String>,

    /// Policy configuration (refused: not supported)
    #[arg(long, value_name = "SPEC")]
    pub policy: Vec<String>,
}

impl DockerFlags {
    /// `--call=check` is `--check`.
    pub fn is_check(&self) -> anyhow::Result<bool> {
        Ok(matches!(self.call.as_deref(), Some("check")))
    }

    /// `--allow security.insecure`: `RUN --security=insecure` may run.
    pub fn allow_insecure(&self) -> anyhow::Result<bool> {
        Ok(self.entitlements().any(|e| e == "security.insecure"))
    }

    fn entitlements(&self) -> impl Iterator<Item = &str> {
        self.allow.iter().flat_map(|a| a.split(',')).map(str::trim)
    }
}

/// Flags docker takes that skiff cannot honour: an error naming the flag,
/// never a build that silently differs.
pub fn refuse_unsupported(d: &DockerFlags) -> anyhow::Result<()> {
    let not_yet =
        |flag: &str, what: &str| Err(unsupported(flag, &format!("{what} not supported yet")));
    if d.rm == Some(false) {
        return Err(unsupported(
            "--rm=false",
            "skiff keeps no intermediate containers (BuildKit has none either)",
        ));
    }
    if let Some(i) = d.isolation.as_deref() {
        if !i.is_empty() && i != "default" {
            return Err(unsupported(
                "--isolation",
                &format!("{i:?}: only \"default\" exists on Linux"),
            ));
        }
    }
    for (flag, given) in [
        ("--cpu-period", d.cpu_period.is_some()),
        ("--cpu-quota", d.cpu_quota.is_some()),
        ("--cpuset-cpus", d.cpuset_cpus.is_some()),
        ("--cpuset-mems", d.cpuset_mems.is_some()),
        ("--cgroup-parent", d.cgroup_parent.is_some()),
    ] {
        if given {
            return not_yet(flag, "this limit on RUN containers is");
        }
    }
    if !d.resource.is_empty() {
        return Err(unsupported(
            "--resource",
            "not supported yet; --memory, --memory-swap and --cpu-shares are",
        ));
    }
    if !d.policy.is_empty() {
        return Err(unsupported("--policy", "skiff has no build policy engine"));
    }
    for e in d.entitlements() {
        if !matches!(e, "network.host" | "security.insecure" | "") {
            return Err(unsupported(
                "--allow",
                &format!("{e:?}: only network.host and security.insecure exist in skiff"),
            ));
        }
    }
    if !d.annotation.is_empty() {
        return not_yet("--annotation", "image annotations are");
    }
    if !d.attest.is_empty() {
        return Err(unsupported(
            "--attest",
            "skiff makes no attestations (SBOM, provenance)",
        ));
    }
    for (flag, v) in [("--sbom", &d.sbom), ("--provenance", &d.provenance)] {
        if let Some(v) = v {
            if !is_false(v) {
                return Err(unsupported(
                    flag,
                    &format!("{v:?}: skiff makes no attestations; only {flag}=false is accepted"),
                ));
            }
        }
    }
    if !d.build_context.is_empty() {
        return not_yet("--build-context", "named build contexts are");
    }
    match d.call.as_deref() {
        None | Some("build") | Some("check") => {}
        Some(other) => {
            return Err(unsupported(
                "--call",
                &format!("{other:?}: only \"build\" and \"check\" are supported"),
            ))
        }
    }
    Ok(())
}

/// buildx reads `--sbom`/`--provenance` values as a bool first.
fn is_false(v: &str) -> bool {
    matches!(
        v,
        "false" | "0" | "f" | "F" | "FALSE" | "False" | "disabled=true"
    )
}

/// The sandbox every RUN gets: docker's syntax and checks (the runtime's
/// parsers, the ones `skiff run` uses).
pub fn sandbox(a: &super::build::Args) -> anyhow::Result<RunSandbox> {
    use skiff_runtime::flags;
    let d = &a.docker;
    let mut sb = RunSandbox::default();
    for u in &a.ulimits {
        let u = flags::parse_ulimit(u)?;
        sb.ulimits.push((u.name, u.soft, u.hard));
    }
    if let Some(s) = &a.shm_size {
        let n = flags::parse_size("--shm-size", s)?;
        if n > 0 {
            sb.shm_size = Some(n as u64);
        }
    }
    // --memory and --memory-swap follow `skiff run`'s (docker's) rules.
    let limits = skiff_runtime::run::ResourceOptions {
        memory: d.memory.clone(),
        memory_swap: d.memory_swap.clone(),
        ..Default::default()
    };
    let r = skiff_runtime::run::resolve_resources(&limits)?;
    sb.memory = r.memory;
    sb.memory_swap = r.memory_swap;
    sb.cpu_shares = d.cpu_shares.unwrap_or(0);
    // Validated now (a bad profile file is the flag's error, not a RUN's).
    flags::parse_security_opts(&d.security_opt)?;
    sb.security_opts = d.security_opt.clone();
    Ok(sb)
}

/// `--add-host host:ip` or `host=ip`, checked as `skiff run` checks it,
/// handed on as `host:ip`.
pub fn add_hosts(raw: &[String]) -> anyhow::Result<Vec<String>> {
    raw.iter()
        .flat_map(|h| h.split(','))
        .map(|h| {
            let (host, ip) = skiff_runtime::flags::parse_add_host(h)?;
            Ok(format!("{host}:{ip}"))
        })
        .collect()
}

/// `--metadata-file`: the keys of buildx's file that describe the image.
pub fn write_metadata(path: &Path, r: &BuildResult, tags: &[String]) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let mut m = serde_json::Map::new();
    m.insert(
        "containerimage.config.digest".into(),
        r.image_id.clone().into(),
    );
    m.insert(
        "containerimage.digest".into(),
        r.manifest_digest.clone().into(),
    );
    if !tags.is_empty() {
        let names: Vec<String> = tags.iter().map(|t| export::full_tag(t)).collect();
        m.insert("image.name".into(), names.join(",").into());
    }
    let text = serde_json::to_string_pretty(&serde_json::Value::Object(m))?;
    std::fs::write(path, text)
        .with_context(|| format!("writing --metadata-file {}", path.display()))
}
