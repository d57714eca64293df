//! The filter in a real kernel: a process in a cgroup carrying docker's
//! default list cannot open /dev/mem's (1:1) or /dev/kmsg's (1:11) device
//! but can open /dev/null's (1:3); without the filter it opens them all.

use std::ffi::CString;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use skiff_devices::cgroup::Host;
use skiff_devices::{apply, bpf, LinuxDeviceCgroup, PROGRAM_NAME};

/// docker's default allow-list as skiff-runtime writes it into the spec.
const DOCKER: &str = r#"[
  {"allow": false, "access": "rwm"},
  {"allow": true, "type": "c", "access": "m"},
  {"allow": true, "type": "b", "access": "m"},
  {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
  {"allow": true, "type": "c", "major": 1, "minor": 8, "access": "rwm"},
  {"allow": true, "type": "c", "major": 1, "minor": 7, "access": "rwm"},
  {"allow": true, "type": "c", "major": 5, "minor": 0, "access": "rwm"},
  {"allow": true, "type": "c", "major": 1, "minor": 5, "access": "rwm"},
  {"allow": true, "type": "c", "major": 1, "minor": 9, "access": "rwm"},
  {"allow": true, "type": "c", "major": 136, "access": "rwm"},
  {"allow": true, "type": "c", "major": 5, "minor": 2, "access": "rwm"},
  {"allow": true, "type": "c", "major": 10, "minor": 200, "access": "rwm"}
]"#;

const PRIVILEGED: &str = r#"[{"allow": true, "access": "rwm"}]"#;

fn rules(json: &str) -> Vec<LinuxDeviceCgroup> {
    serde_json::from_str(json).unwrap()
}

/// A cgroup v2 directory removed on drop.
struct Cgroup(PathBuf);

impl Cgroup {
    /// A fresh cgroup in this host's v2 tree.
    fn new(name: &str) -> Cgroup {
        let dir = Host::detect()
            .v2_dir(&format!("/skiff-devices-{name}-{}", std::process::id()))
            .expect("this host has a cgroup2 tree");
        std::fs::create_dir_all(&dir).unwrap();
        Cgroup(dir)
    }
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}

fn mknod(dir: &Path, name: &str, major: u32, minor: u32) -> CString {
    let p = CString::new(dir.join(name).into_os_string().into_encoded_bytes()).unwrap();
    // SAFETY: mknod on a NUL-terminated path.
    let r = unsafe {
        libc::mknod(
            p.as_ptr(),
            libc::S_IFCHR | 0o600,
            libc::makedev(major, minor),
        )
    };
    assert_eq!(r, 0, "mknod: {}", std::io::Error::last_os_error());
    p
}

/// Fork a child that joins `cgroup` and opens `node` (read-write if
/// `write`): Ok, or the errno.
fn child_opens(cgroup: &Path, node: &CString, write: bool) -> Result<(), i32> {
    let procs = CString::new(
        cgroup
            .join("cgroup.procs")
            .into_os_string()
            .into_encoded_bytes(),
    )
    .unwrap();
    let flags = if write { libc::O_RDWR } else { libc::O_RDONLY };
    // SAFETY: the child only makes raw syscalls on buffers prepared before
    // the fork, then _exits.
    let status = unsafe {
        match libc::fork() {
            0 => {
                let fd = libc::open(procs.as_ptr(), libc::O_WRONLY);
                if fd < 0 || libc::write(fd, c"0".as_ptr().cast(), 1) != 1 {
                    libc::_exit(255);
                }
                libc::close(fd);
                if libc::open(node.as_ptr(), flags) >= 0 {
                    libc::_exit(0)
                }
                libc::_exit((*libc::__errno_location()).min(254))
            }
            -1 => panic!("fork: {}", std::io::Error::last_os_error()),
            pid => {
                let mut st = 0;
                assert_eq!(libc::waitpid(pid, &mut st, 0), pid);
                assert!(libc::WIFEXITED(st), "child status {st}");
                libc::WEXITSTATUS(st)
            }
        }
    };
    assert_ne!(status, 255, "the child could not join {}", cgroup.display());
    if status == 0 {
        Ok(())
    } else {
        Err(status)
    }
}

/// The device nodes the tests open, made in a temporary directory.
struct Nodes {
    _dir: tempfile::TempDir,
    /// 1:1, /dev/mem: not in docker's list. Kernels without CONFIG_DEVMEM
    /// (this VM's) answer ENXIO when the filter lets the open through.
    mem: CString,
    /// 1:11, /dev/kmsg: not in docker's list, and present everywhere.
    kmsg: CString,
    /// 1:3, /dev/null: in docker's list.
    null: CString,
}

impl Nodes {
    fn new() -> Nodes {
        let dir = tempfile::tempdir().unwrap();
        Nodes {
            mem: mknod(dir.path(), "mem", 1, 1),
            kmsg: mknod(dir.path(), "kmsg", 1, 11),
            null: mknod(dir.path(), "null", 1, 3),
            _dir: dir,
        }
    }

    /// (mem, kmsg, null) as a child in `cgroup` sees them.
    fn open_all(&self, cgroup: &Path) -> (Result<(), i32>, Result<(), i32>, Result<(), i32>) {
        (
            child_opens(cgroup, &self.mem, false),
            child_opens(cgroup, &self.kmsg, false),
            child_opens(cgroup, &self.null, true),
        )
    }
}

#[test]
#[ignore = "needs root and cgroup2"]
fn default_list_denies_dev_mem_and_allows_dev_null() {
    let cgroup = Cgroup::new("test");
    let nodes = Nodes::new();

    let (mem, kmsg, null) = nodes.open_all(&cgroup.0);
    assert_ne!(
        mem,
        Err(libc::EPERM),
        "without a filter the open gets through"
    );
    assert_eq!((kmsg, null), (Ok(()), Ok(())), "without a filter both open");

    apply(&cgroup.0, &rules(DOCKER)).unwrap();
    assert_eq!(
        nodes.open_all(&cgroup.0),
        (Err(libc::EPERM), Err(libc::EPERM), Ok(())),
        "docker's list: 1:1 and 1:11 denied, 1:3 allowed"
    );

    // Applying again replaces skiff's program rather than adding one.
    apply(&cgroup.0, &rules(PRIVILEGED)).unwrap();
    let fd = std::fs::File::open(&cgroup.0).unwrap();
    let ids = bpf::query(fd.as_fd()).unwrap();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let prog = bpf::prog_by_id(ids[0]).unwrap();
    assert_eq!(bpf::prog_name(prog.as_fd()).unwrap(), PROGRAM_NAME);
    let (mem, kmsg, null) = nodes.open_all(&cgroup.0);
    assert_ne!(mem, Err(libc::EPERM), "privileged: everything gets through");
    assert_eq!(
        (kmsg, null),
        (Ok(()), Ok(())),
        "privileged: everything opens"
    );

    apply(&cgroup.0, &rules(DOCKER)).unwrap();
    assert_eq!(bpf::query(fd.as_fd()).unwrap().len(), 1);
    assert_eq!(nodes.open_all(&cgroup.0).1, Err(libc::EPERM));
}

#[test]
#[ignore = "needs root and cgroup2"]
fn bad_rules_attach_nothing() {
    let cgroup = Cgroup::new("test-bad");
    let bad = rules(r#"[{"allow": true, "type": "p", "access": "rwm"}]"#);
    let e = apply(&cgroup.0, &bad).unwrap_err().to_string();
    assert!(e.contains("devices[0]"), "{e}");
    let fd = std::fs::File::open(&cgroup.0).unwrap();
    assert!(bpf::query(fd.as_fd()).unwrap().is_empty());
}
