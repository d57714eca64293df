//! docker's default seccomp profile, compiled once per capability set and
//! kept under the store root (`<root>/seccomp/`), instead of parsing its
//! JSON and compiling it to BPF on every `run` and `exec` (0.6 to 0.7 ms
//! of each start, `scripts/bench/README.md`).
//!
//! A compiled program depends on the profile, the capabilities, the
//! architecture, the running kernel (`minKernel`) and the compiler's own
//! code. The file name holds all of them: `<env>-<caps>`, where `env` is a
//! digest of the compiler's fingerprint ([`skiff_seccomp::COMPILER_ID`],
//! made from its sources at build time), the architecture and the kernel,
//! and `caps` one of the sorted capability names. Writing an entry drops
//! those of another `env` (a new skiff or kernel), so the directory holds
//! one entry per capability set in use. Only the default profile is kept:
//! a `--security-opt seccomp=FILE` profile is compiled each time (the
//! cache would grow with every file). An entry that does not read back as
//! a well-formed program is compiled anew and replaced.

use std::io::Read;
use std::path::Path;

use skiff_core::atomic::{atomic_write, Durability};
use skiff_core::digest::sha256_digest;
use skiff_seccomp::{Arch, CompileOptions, KernelVersion, Profile, Program};

/// The default profile compiled for `caps` on this host.
pub(crate) fn docker_default(root: &Path, caps: &[&str]) -> Result<Program, skiff_seccomp::Error> {
    let arch = Arch::host();
    let kernel = KernelVersion::running().ok();
    let env = env_key(arch, kernel);
    let dir = root.join("seccomp");
    let path = dir.join(format!("{env}-{}", caps_key(caps)));
    if let Some(p) = read_bounded(&path).and_then(|b| Program::from_bytes(&b)) {
        return Ok(p);
    }
    let mut opts = CompileOptions::new(arch, caps);
    opts.kernel = kernel;
    let program = Profile::docker_default().compile(&opts)?;
    keep(&dir, &env, &path, &program);
    Ok(program)
}

/// A cache entry's bytes, `None` when missing or larger than any program
/// can be (the kernel takes at most 4096 instructions of 8 bytes): the
/// store is root's, but a stray huge file must not be read whole.
fn read_bounded(path: &Path) -> Option<Vec<u8>> {
    const MAX: u64 = 64 * 1024;
    let mut data = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(MAX + 1)
        .read_to_end(&mut data)
        .ok()?;
    (data.len() as u64 <= MAX).then_some(data)
}

fn env_key(arch: Arch, kernel: Option<KernelVersion>) -> String {
    let id = format!(
        "{}\n{}\n{kernel:?}",
        skiff_seccomp::COMPILER_ID,
        arch.go_name()
    );
    short(&sha256_digest(id.as_bytes()))
}

fn caps_key(caps: &[&str]) -> String {
    let mut sorted: Vec<String> = caps.iter().map(|c| c.to_ascii_uppercase()).collect();
    sorted.sort();
    sorted.dedup();
    short(&sha256_digest(sorted.join("\n").as_bytes()))
}

/// 16 hex digits of a `sha256:...` digest: enough for a cache name.
fn short(digest: &str) -> String {
    digest
        .trim_start_matches("sha256:")
        .chars()
        .take(16)
        .collect()
}

/// Best effort: a cache that cannot be written only costs the next run a
/// compile.
fn keep(dir: &Path, env: &str, path: &Path, program: &Program) {
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    if let Ok(entries) = std::fs::read_dir(dir) {
        let mine = format!("{env}-");
        for e in entries.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            // Temp files of a concurrent writer start with '.'.
            if !name.starts_with(&mine) && !name.starts_with('.') {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    let _ = atomic_write(path, &program.to_bytes(), Durability::Volatile);
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn fresh(caps: &[&str]) -> Program {
        let mut opts = CompileOptions::new(Arch::host(), caps);
        opts.kernel = KernelVersion::running().ok();
        Profile::docker_default().compile(&opts).unwrap()
    }

    fn entries(root: &Path) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(root.join("seccomp"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn compiled_once_per_capability_set_then_read_back() {
        let root = tempfile::tempdir().unwrap();
        let caps = ["CAP_CHOWN", "CAP_KILL"];
        let first = docker_default(root.path(), &caps).unwrap();
        assert_eq!(first, fresh(&caps));
        let files = entries(root.path());
        assert_eq!(files.len(), 1);
        // The same set in another order and case is the same entry.
        assert_eq!(
            docker_default(root.path(), &["cap_kill", "CAP_CHOWN"]).unwrap(),
            first
        );
        assert_eq!(entries(root.path()), files);
        // The entry is what is used: a program planted in it comes back.
        let other = fresh(&["CAP_SYS_ADMIN"]);
        assert_ne!(other, first);
        std::fs::write(&files[0], other.to_bytes()).unwrap();
        assert_eq!(docker_default(root.path(), &caps).unwrap(), other);
        // A damaged entry is compiled anew and replaced.
        std::fs::write(&files[0], b"junk").unwrap();
        assert_eq!(docker_default(root.path(), &caps).unwrap(), first);
        assert_eq!(std::fs::read(&files[0]).unwrap(), first.to_bytes());
    }

    #[test]
    fn entries_of_another_compiler_or_kernel_are_dropped() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("seccomp");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("0000000000000000-0000000000000000"), b"old").unwrap();
        docker_default(root.path(), &["CAP_CHOWN"]).unwrap();
        docker_default(root.path(), &["CAP_KILL"]).unwrap();
        let names: Vec<PathBuf> = entries(root.path());
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(names
            .iter()
            .all(|n| !n.ends_with("0000000000000000-0000000000000000")));
    }

    #[test]
    fn an_entry_larger_than_any_program_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let (small, huge) = (dir.path().join("small"), dir.path().join("huge"));
        std::fs::write(&small, fresh(&["CAP_CHOWN"]).to_bytes()).unwrap();
        std::fs::write(&huge, vec![0u8; 64 * 1024 + 1]).unwrap();
        assert!(read_bounded(&small).is_some());
        assert!(read_bounded(&huge).is_none());
        assert!(read_bounded(&dir.path().join("missing")).is_none());
    }
}
