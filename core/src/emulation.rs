//! Which platforms this host can execute: its own, the 32-bit sibling its
//! CPU runs natively, and every one a binfmt_misc handler emulates
//! (qemu-user, as registered by qemu-user-static or tonistiigi/binfmt).
//!
//! A handler is matched by what it matches, not by its name: a tiny ELF
//! header of the platform's class, byte order and machine is tested against
//! each enabled entry's magic and mask, as the kernel does on exec. Only
//! entries with the F (fix-binary) flag work inside a container, because
//! without it the kernel opens the interpreter path in the container's own
//! root, where no qemu lives.

use std::fs;
use std::path::Path;

use crate::Platform;

/// Where the kernel lists binfmt_misc handlers.
pub const BINFMT_DIR: &str = "/proc/sys/fs/binfmt_misc";

/// Why binaries of a platform cannot run here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmulationError {
    #[error(
        "cannot run {platform} binaries on this {host} host: no binfmt_misc handler for {platform} is registered; \
         enable emulation with qemu-user-static (Debian/Ubuntu: apt-get install qemu-user-static binfmt-support) \
         or `docker run --privileged --rm tonistiigi/binfmt --install {arch}`"
    )]
    NoHandler {
        platform: String,
        host: String,
        arch: String,
    },
    #[error(
        "cannot run {platform} binaries inside a container: binfmt_misc handler {name:?} lacks the F (fix-binary) flag, \
         so its interpreter is not visible in the container; re-register it with F \
         (qemu-user-static's packages do; or `docker run --privileged --rm tonistiigi/binfmt --install {arch}`)"
    )]
    NotFixBinary {
        platform: String,
        name: String,
        arch: String,
    },
    #[error("cannot run {platform} binaries: skiff does not know the ELF machine of architecture {arch:?}")]
    UnknownArch { platform: String, arch: String },
}

/// One binfmt_misc entry, as `/proc/sys/fs/binfmt_misc/<name>` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handler {
    pub name: String,
    pub enabled: bool,
    pub interpreter: String,
    pub flags: String,
    pub offset: usize,
    pub magic: Vec<u8>,
    pub mask: Vec<u8>,
}

impl Handler {
    /// Parse an entry's text; `None` for extension (`E`) entries and junk.
    pub fn parse(name: &str, text: &str) -> Option<Handler> {
        let mut h = Handler {
            name: name.to_string(),
            enabled: false,
            interpreter: String::new(),
            flags: String::new(),
            offset: 0,
            magic: Vec::new(),
            mask: Vec::new(),
        };
        for line in text.lines() {
            let (k, v) = line.split_once(' ').unwrap_or((line, ""));
            match k {
                "enabled" => h.enabled = true,
                "interpreter" => h.interpreter = v.to_string(),
                "flags:" => h.flags = v.to_string(),
                "offset" => h.offset = v.trim().parse().ok()?,
                "magic" => h.magic = hex::decode(v.trim()).ok()?,
                "mask" => h.mask = hex::decode(v.trim()).ok()?,
                _ => {}
            }
        }
        (!h.magic.is_empty()).then_some(h)
    }

    /// Whether the kernel would hand `header` (a file's first bytes) to this
    /// handler.
    pub fn matches(&self, header: &[u8]) -> bool {
        let Some(bytes) = header.get(self.offset..self.offset + self.magic.len()) else {
            return false;
        };
        bytes
            .iter()
            .zip(&self.magic)
            .enumerate()
            .all(|(i, (b, m))| {
                let mask = self.mask.get(i).copied().unwrap_or(0xff);
                b & mask == m & mask
            })
    }

    pub fn fix_binary(&self) -> bool {
        self.flags.contains('F')
    }
}

/// The handlers registered on this host (none when binfmt_misc is not
/// mounted or not readable).
pub fn handlers() -> Vec<Handler> {
    handlers_in(Path::new(BINFMT_DIR))
}

fn handlers_in(dir: &Path) -> Vec<Handler> {
    let Ok(rd) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<Handler> = rd
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if name == "register" || name == "status" {
                return None;
            }
            // Entries are a few hundred bytes; read no more than that.
            let text = fs::read(e.path()).ok()?;
            let text = String::from_utf8_lossy(&text[..text.len().min(4096)]).into_owned();
            Handler::parse(&name, &text)
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// ELF class (1: 32-bit, 2: 64-bit), byte order (1: little, 2: big) and
/// e_machine of an architecture's executables.
pub fn elf_identity(architecture: &str) -> Option<(u8, u8, u16)> {
    Some(match architecture {
        "amd64" => (2, 1, 62),
        "386" => (1, 1, 3),
        "arm64" => (2, 1, 183),
        "arm" => (1, 1, 40),
        "ppc64le" => (2, 1, 21),
        "ppc64" => (2, 2, 21),
        "s390x" => (2, 2, 22),
        "riscv64" => (2, 1, 243),
        "mips64le" => (2, 1, 8),
        "mips64" => (2, 2, 8),
        "mipsle" => (1, 1, 8),
        "mips" => (1, 2, 8),
        "loong64" => (2, 1, 258),
        _ => return None,
    })
}

/// The first 20 bytes of an executable of `architecture`: what binfmt_misc
/// magics are written against.
fn elf_header(architecture: &str) -> Option<[u8; 20]> {
    let (class, data, machine) = elf_identity(architecture)?;
    let mut h = [0u8; 20];
    h[..4].copy_from_slice(b"\x7fELF");
    h[4] = class;
    h[5] = data;
    h[6] = 1;
    let (e_type, e_machine) = if data == 1 {
        (2u16.to_le_bytes(), machine.to_le_bytes())
    } else {
        (2u16.to_be_bytes(), machine.to_be_bytes())
    };
    h[16..18].copy_from_slice(&e_type);
    h[18..20].copy_from_slice(&e_machine);
    Some(h)
}

/// Architectures the host CPU executes without emulation besides its own.
/// The 32-bit siblings are assumed: nearly every amd64 kernel runs i386
/// code, and the ARMv8 boards skiff targets (Raspberry Pi 3 to 5) run
/// 32-bit ARM code.
fn native(host: &Platform) -> Vec<Platform> {
    let mut v = vec![host.clone()];
    match host.architecture.as_str() {
        "amd64" => v.push(Platform::new("linux", "386", None)),
        "arm64" => {
            v.push(Platform::new("linux", "arm", Some("v7")));
            v.push(Platform::new("linux", "arm", Some("v6")));
        }
        _ => {}
    }
    v
}

/// Whether binaries of `platform` can run in a container on this host.
pub fn check(platform: &Platform) -> Result<(), EmulationError> {
    check_with(platform, &Platform::host(), &handlers())
}

fn check_with(
    platform: &Platform,
    host: &Platform,
    handlers: &[Handler],
) -> Result<(), EmulationError> {
    if native(host).iter().any(|n| n.matches(platform)) {
        return Ok(());
    }
    let header = elf_header(&platform.architecture).ok_or_else(|| EmulationError::UnknownArch {
        platform: platform.to_string(),
        arch: platform.architecture.clone(),
    })?;
    let found: Vec<&Handler> = handlers
        .iter()
        .filter(|h| h.enabled && h.matches(&header))
        .collect();
    if found.iter().any(|h| h.fix_binary()) {
        return Ok(());
    }
    Err(match found.first() {
        Some(h) => EmulationError::NotFixBinary {
            platform: platform.to_string(),
            name: h.name.clone(),
            arch: platform.architecture.clone(),
        },
        None => EmulationError::NoHandler {
            platform: platform.to_string(),
            host: host.to_string(),
            arch: platform.architecture.clone(),
        },
    })
}

/// Every platform this host can build and run for: native ones first, then
/// those with a usable (fix-binary) emulator, as `docker buildx ls` lists.
pub fn runnable_platforms() -> Vec<Platform> {
    runnable_with(&Platform::host(), &handlers())
}

fn runnable_with(host: &Platform, handlers: &[Handler]) -> Vec<Platform> {
    let mut out = native(host);
    // The platforms a qemu handler can stand for, in buildx's order.
    let known = [
        ("amd64", None),
        ("386", None),
        ("arm64", None),
        ("riscv64", None),
        ("ppc64le", None),
        ("s390x", None),
        ("mips64le", None),
        ("mips64", None),
        ("loong64", None),
        ("arm", Some("v7")),
        ("arm", Some("v6")),
    ];
    for (arch, variant) in known {
        let p = Platform::new("linux", arch, variant);
        if !out.contains(&p) && check_with(&p, host, handlers).is_ok() {
            out.push(p);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // The entries Debian's qemu-user-static registers, as the kernel shows them.
    const AARCH64: &str = "enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: POF\noffset 0\nmagic 7f454c460201010000000000000000000200b700\nmask ffffffffffffff00fffffffffffffffffeffffff\n";
    const ARM: &str = "enabled\ninterpreter /usr/libexec/qemu-binfmt/arm-binfmt-P\nflags: POF\noffset 0\nmagic 7f454c4601010100000000000000000002002800\nmask ffffffffffffff00fffffffffffffffffeffffff\n";

    fn amd64() -> Platform {
        Platform::new("linux", "amd64", None)
    }

    #[test]
    fn qemu_handlers_match_their_architecture_only() {
        let hs = vec![
            Handler::parse("qemu-aarch64", AARCH64).unwrap(),
            Handler::parse("qemu-arm", ARM).unwrap(),
        ];
        let p = |s: &str| Platform::parse(s).unwrap();
        assert_eq!(check_with(&p("linux/arm64"), &amd64(), &hs), Ok(()));
        assert_eq!(check_with(&p("linux/arm/v7"), &amd64(), &hs), Ok(()));
        assert_eq!(check_with(&p("linux/amd64"), &amd64(), &hs), Ok(()));
        let err = check_with(&p("linux/s390x"), &amd64(), &hs).unwrap_err();
        assert!(matches!(err, EmulationError::NoHandler { .. }));
        let msg = err.to_string();
        assert!(
            msg.contains("linux/s390x") && msg.contains("qemu-user-static"),
            "{msg}"
        );
        assert_eq!(
            runnable_with(&amd64(), &hs),
            vec![
                p("linux/amd64"),
                p("linux/386"),
                p("linux/arm64"),
                p("linux/arm/v7"),
                p("linux/arm/v6")
            ]
        );
    }

    #[test]
    fn a_handler_without_fix_binary_is_named() {
        let text = AARCH64.replace("flags: POF", "flags: P");
        let hs = vec![Handler::parse("qemu-aarch64", &text).unwrap()];
        let err = check_with(&Platform::parse("linux/arm64").unwrap(), &amd64(), &hs).unwrap_err();
        assert!(
            matches!(err, EmulationError::NotFixBinary { ref name, .. } if name == "qemu-aarch64")
        );
    }

    #[test]
    fn disabled_handlers_do_not_count() {
        let text = AARCH64.replace("enabled\n", "disabled\n");
        let hs = vec![Handler::parse("qemu-aarch64", &text).unwrap()];
        assert!(check_with(&Platform::parse("linux/arm64").unwrap(), &amd64(), &hs).is_err());
    }
}
