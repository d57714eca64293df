//! Can this host run a platform's binaries? Natively (its own architecture,
//! or one its CPU also executes: 386 on amd64, arm on arm64), or through a
//! binfmt_misc handler (qemu-user) registered with the kernel. Checked
//! before a container or a build step of a foreign platform starts, so the
//! error names the platform and how to enable emulation instead of the
//! container failing with "exec format error".
//!
//! A handler counts only with the F (fix binary) flag: the kernel opens the
//! interpreter when the handler is registered, so it works inside a
//! container's mount namespace where /usr/bin/qemu-* does not exist.

use std::path::Path;

use skiff_core::Platform;

/// Where the kernel lists the handlers.
const BINFMT_DIR: &str = "/proc/sys/fs/binfmt_misc";

/// Why a platform cannot run here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot run {platform} binaries on this {host} host: {reason}; to enable emulation, install qemu-user-static with binfmt handlers (Debian/Ubuntu: apt-get install qemu-user-static binfmt-support) or register them with `skiff run --privileged --rm tonistiigi/binfmt --install {arch}`")]
pub struct EmulationError {
    pub platform: String,
    pub host: String,
    pub reason: String,
    pub arch: String,
}

/// Ok when binaries of `platform` run on this host (see the module comment).
pub fn check(platform: &Platform) -> Result<(), EmulationError> {
    check_in(Path::new(BINFMT_DIR), &Platform::host(), platform)
}

/// [`check`] against a given binfmt_misc directory and host (tests).
pub fn check_in(dir: &Path, host: &Platform, platform: &Platform) -> Result<(), EmulationError> {
    if runs_natively(host, platform) {
        return Ok(());
    }
    let err = |reason: String| EmulationError {
        platform: platform.to_string(),
        host: host.to_string(),
        reason,
        arch: platform.architecture.clone(),
    };
    let Some(header) = elf_header(platform) else {
        return Err(err(
            "skiff knows no ELF machine for this architecture".into()
        ));
    };
    let status = std::fs::read_to_string(dir.join("status")).map_err(|_| {
        err(format!(
            "binfmt_misc is not mounted at {} (mount -t binfmt_misc binfmt_misc {0})",
            dir.display()
        ))
    })?;
    if status.trim() != "enabled" {
        return Err(err(
            "binfmt_misc is disabled (echo 1 > .../binfmt_misc/status)".into(),
        ));
    }
    let mut without_f = None;
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == "status" || name == "register" {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        let h = Handler::parse(&text);
        if h.enabled && h.matches(&header) {
            if h.fix_binary {
                return Ok(());
            }
            without_f = Some(name);
        }
    }
    Err(err(match without_f {
        Some(n) => format!(
            "the binfmt_misc handler {n} has no F (fix binary) flag, so containers cannot reach its interpreter"
        ),
        None => "no binfmt_misc handler is registered for it".into(),
    }))
}

/// The host's CPU executes these without emulation.
fn runs_natively(host: &Platform, p: &Platform) -> bool {
    if host.matches(p) {
        return true;
    }
    matches!(
        (host.architecture.as_str(), p.architecture.as_str()),
        ("amd64", "386") | ("arm64", "arm")
    ) && host.os == p.os
}

/// The first 20 bytes of an executable ELF of `p`: what qemu's binfmt
/// magic/mask pairs test (class, byte order, e_type, e_machine).
fn elf_header(p: &Platform) -> Option<[u8; 20]> {
    // (64-bit, big-endian, e_machine)
    let (wide, big, machine): (bool, bool, u16) = match p.architecture.as_str() {
        "amd64" => (true, false, 62),
        "386" => (false, false, 3),
        "arm64" => (true, false, 183),
        "arm" => (false, false, 40),
        "ppc64le" => (true, false, 21),
        "s390x" => (true, true, 22),
        "riscv64" => (true, false, 243),
        "mips64le" => (true, false, 8),
        "loong64" => (true, false, 258),
        _ => return None,
    };
    let mut h = [0u8; 20];
    h[..4].copy_from_slice(b"\x7fELF");
    h[4] = if wide { 2 } else { 1 };
    h[5] = if big { 2 } else { 1 };
    h[6] = 1;
    let (e_type, e_machine) = if big {
        (2u16.to_be_bytes(), machine.to_be_bytes())
    } else {
        (2u16.to_le_bytes(), machine.to_le_bytes())
    };
    h[16..18].copy_from_slice(&e_type);
    h[18..20].copy_from_slice(&e_machine);
    Some(h)
}

/// One `/proc/sys/fs/binfmt_misc/<name>` file.
#[derive(Debug, Default)]
struct Handler {
    enabled: bool,
    fix_binary: bool,
    offset: usize,
    magic: Vec<u8>,
    mask: Vec<u8>,
}

impl Handler {
    fn parse(text: &str) -> Handler {
        let mut h = Handler::default();
        for line in text.lines() {
            let (k, v) = line.split_once(' ').unwrap_or((line, ""));
            match k {
                "enabled" => h.enabled = true,
                "flags:" => h.fix_binary = v.contains('F'),
                "offset" => h.offset = v.trim().parse().unwrap_or(0),
                "magic" => h.magic = hex(v.trim()),
                "mask" => h.mask = hex(v.trim()),
                _ => {}
            }
        }
        h
    }

    /// Whether the handler takes a file starting with `header`.
    fn matches(&self, header: &[u8]) -> bool {
        if self.magic.is_empty() || self.offset + self.magic.len() > header.len() {
            return false;
        }
        self.magic.iter().enumerate().all(|(i, m)| {
            let mask = self.mask.get(i).copied().unwrap_or(0xff);
            header[self.offset + i] & mask == m & mask
        })
    }
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // What Debian's qemu-user-static registers for aarch64 and arm.
    const AARCH64: &str = "enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: POCF\noffset 0\nmagic 7f454c460201010000000000000000000200b700\nmask ffffffffffffff00fffffffffffffffffeffffff\n";
    const ARM: &str = "enabled\ninterpreter /usr/libexec/qemu-binfmt/arm-binfmt-P\nflags: POC\noffset 0\nmagic 7f454c4601010100000000000000000002002800\nmask ffffffffffffff00fffffffffffffffffeffffff\n";

    fn p(s: &str) -> Platform {
        Platform::parse(s).unwrap()
    }

    #[test]
    fn handlers_are_matched_by_elf_machine_and_need_the_f_flag() {
        let dir = tempfile::tempdir().unwrap();
        let amd64 = p("linux/amd64");
        // Not mounted.
        let e = check_in(dir.path(), &amd64, &p("linux/arm64")).unwrap_err();
        assert!(e.reason.contains("not mounted"), "{e}");
        std::fs::write(dir.path().join("status"), "enabled\n").unwrap();
        std::fs::write(dir.path().join("register"), "").unwrap();
        std::fs::write(dir.path().join("qemu-aarch64"), AARCH64).unwrap();
        std::fs::write(dir.path().join("qemu-arm"), ARM).unwrap();
        assert_eq!(check_in(dir.path(), &amd64, &p("linux/arm64")), Ok(()));
        let e = check_in(dir.path(), &amd64, &p("linux/arm/v7")).unwrap_err();
        assert!(e.reason.contains("no F (fix binary) flag"), "{e}");
        let e = check_in(dir.path(), &amd64, &p("linux/s390x")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot run linux/s390x binaries on this linux/amd64 host: no binfmt_misc handler is registered for it; to enable emulation, install qemu-user-static with binfmt handlers (Debian/Ubuntu: apt-get install qemu-user-static binfmt-support) or register them with `skiff run --privileged --rm tonistiigi/binfmt --install s390x`"
        );
        // Native and CPU-compatible platforms need no handler.
        assert_eq!(check_in(dir.path(), &amd64, &p("linux/amd64")), Ok(()));
        assert_eq!(check_in(dir.path(), &amd64, &p("linux/386")), Ok(()));
        assert_eq!(
            check_in(dir.path(), &p("linux/arm64"), &p("linux/arm/v7")),
            Ok(())
        );
    }
}
