//! `run`/`create` flags that the runtime's options do not declare: the
//! ones only the CLI handles (`--cidfile`, `--label-file`, `--sig-proxy`,
//! `--disable-content-trust`), and every other `docker run` flag, refused
//! by name with the reason, so no flag docker takes is ever mistaken for
//! the image or silently dropped.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args as ClapArgs;

/// The `run`/`create` flags that only the CLI handles: files it reads or
/// writes, flags accepted because skiff already does what they ask, and
/// the refused ones.
#[derive(Debug, Default, ClapArgs)]
pub struct CliFlags {
    /// Write the container ID to the file
    #[arg(long)]
    pub cidfile: Option<PathBuf>,
    /// Read in a line delimited file of labels
    #[arg(long)]
    pub label_file: Vec<PathBuf>,
    /// Proxy received signals to the process (only true: skiff always does)
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub sig_proxy: Option<String>,
    /// Skip image verification (skiff verifies digests, not signatures)
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub disable_content_trust: Option<String>,
    #[command(flatten)]
    pub refused: RefusedFlags,
}

impl CliFlags {
    /// Refuse what skiff does not do, naming the flag (exit 125).
    pub fn check(&self) -> anyhow::Result<()> {
        self.refused.check()?;
        if self.sig_proxy.as_deref().is_some_and(|v| v != "true") {
            return Err(crate::exit::Failure::new(
                125,
                "--sig-proxy=false is not supported by skiff (a foreground container always gets the signals)",
            ));
        }
        if self
            .disable_content_trust
            .as_deref()
            .is_some_and(|v| v != "true")
        {
            return Err(crate::exit::Failure::new(
                125,
                "--disable-content-trust=false is not supported by skiff (no content trust; images are verified by digest)",
            ));
        }
        Ok(())
    }

    /// Labels from `--label-file`s (docker: one `key=value` a line, `#`
    /// comments and blank lines skipped), before the `--label`s.
    pub fn file_labels(&self) -> anyhow::Result<Vec<String>> {
        let mut out = Vec::new();
        for f in &self.label_file {
            let text = std::fs::read_to_string(f)
                .with_context(|| format!("--label-file: cannot read {}", f.display()))?;
            out.extend(
                text.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(str::to_string),
            );
        }
        Ok(out)
    }

    /// docker refuses to overwrite a cidfile before anything is created.
    pub fn check_cidfile(&self) -> anyhow::Result<()> {
        if let Some(p) = &self.cidfile {
            if p.exists() {
                bail!(
                    "Container ID file found, make sure the other container isn't running or delete {}",
                    p.display()
                );
            }
        }
        Ok(())
    }

    pub fn write_cidfile(&self, id: &str) -> anyhow::Result<()> {
        if let Some(p) = &self.cidfile {
            write_new(p, id).with_context(|| {
                format!("failed to create the container ID file {}", p.display())
            })?;
        }
        Ok(())
    }
}

fn write_new(p: &Path, id: &str) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(p)?;
    f.write_all(id.as_bytes())
}

/// Declares the `docker run` flags skiff does not implement, each with the
/// reason it gives when one is used.
macro_rules! refused_flags {
    ($( $field:ident = $name:literal $(, short = $short:literal)? => $why:literal ;)*) => {
        /// `docker run` flags skiff refuses (hidden from help).
        #[derive(Debug, Default, ClapArgs)]
        pub struct RefusedFlags {
            $(
                #[arg(long = $name, hide = true $(, short = $short)?, num_args = 0..=1, default_missing_value = "", action = clap::ArgAction::Append)]
                $field: Vec<String>,
            )*
        }

        impl RefusedFlags {
            /// The first refused flag given, as docker's usage error.
            pub fn check(&self) -> anyhow::Result<()> {
                $(
                    if !self.$field.is_empty() {
                        return Err(crate::exit::Failure::new(
                            125,
                            format!("--{} is not supported by skiff ({})", $name, $why),
                        ));
                    }
                )*
                Ok(())
            }

        }
    };
}

refused_flags! {
    attach = "attach", short = 'a' => "foreground containers always get stdout and stderr; choosing streams is not supported";
    blkio_weight = "blkio-weight" => "block I/O limits are not supported";
    blkio_weight_device = "blkio-weight-device" => "block I/O limits are not supported";
    device_read_bps = "device-read-bps" => "block I/O limits are not supported";
    device_read_iops = "device-read-iops" => "block I/O limits are not supported";
    device_write_bps = "device-write-bps" => "block I/O limits are not supported";
    device_write_iops = "device-write-iops" => "block I/O limits are not supported";
    io_maxbandwidth = "io-maxbandwidth" => "Windows only";
    io_maxiops = "io-maxiops" => "Windows only";
    cpu_count = "cpu-count" => "Windows only";
    cpu_percent = "cpu-percent" => "Windows only";
    isolation = "isolation" => "Windows only";
    cgroup_parent = "cgroup-parent" => "containers live under skiff's own cgroup";
    cgroupns = "cgroupns" => "containers always get a private cgroup namespace";
    cpu_rt_period = "cpu-rt-period" => "real-time scheduling is not supported";
    cpu_rt_runtime = "cpu-rt-runtime" => "real-time scheduling is not supported";
    detach_keys = "detach-keys" => "detaching from a foreground container is not supported; use -d and logs -f";
    device = "device" => "device passthrough is not supported yet; --privileged gives the host's devices";
    device_cgroup_rule = "device-cgroup-rule" => "device passthrough is not supported yet";
    gpus = "gpus" => "GPU passthrough is not supported";
    ip = "ip" => "static container addresses are not supported";
    ip6 = "ip6" => "static container addresses are not supported";
    link_local_ip = "link-local-ip" => "static container addresses are not supported";
    mac_address = "mac-address" => "static container addresses are not supported";
    kernel_memory = "kernel-memory" => "deprecated by docker and unsupported by the kernel";
    link = "link" => "legacy links are not supported; use a user network (network create) and --network";
    oom_kill_disable = "oom-kill-disable" => "not supported";
    runtime = "runtime" => "skiff is its own runtime";
    storage_opt = "storage-opt" => "per-container storage options are not supported";
    userns = "userns" => "user namespace remapping is not supported";
    volume_driver = "volume-driver" => "only the local volume driver exists";
    volumes_from = "volumes-from" => "not supported yet; name the volumes with -v";
    use_api_socket = "use-api-socket" => "skiff has no daemon API socket";
    cpuset_cpus = "cpuset-cpus" => "not supported yet";
    cpuset_mems = "cpuset-mems" => "not supported yet";
    cpu_period = "cpu-period" => "not supported yet; use --cpus";
    cpu_quota = "cpu-quota" => "not supported yet; use --cpus";
    memory_swappiness = "memory-swappiness" => "not supported yet";
    annotation = "annotation" => "not supported yet; use --label";
    expose = "expose" => "not supported yet; publish with -p";
    domainname = "domainname" => "not supported yet; -h host.domain sets it";
}
