//! The skiff binary that runtime processes are started from, sealed so that
//! no container can write to the host's skiff binary (runc's CVE-2019-5736).
//!
//! # Why
//! libcontainer clones the container's init from the runtime process, and
//! `skiff exec` joins a container from a clone of its runtime process, so
//! those clones run skiff's binary *inside* the container's namespaces
//! until they execve the workload; with `--init` PID 1 runs it for the
//! container's whole life. A process in the container can open
//! `/proc/<pid>/exe` of such a process (same uid, capabilities a subset,
//! dumpable), or make one by giving the container a `#!/proc/self/exe`
//! script to exec, and keep the descriptor. The kernel refuses writes to a
//! running binary (ETXTBSY), and skiff's runtime process or monitor runs the
//! binary for as long as the container lives, but a descriptor handed out
//! of the container (a unix socket on a shared volume, the host's abstract
//! socket namespace under `--network host`) outlives them: reopened through
//! `/proc/self/fd/N` for writing once the last skiff process is gone, it
//! would overwrite the host's skiff, which root runs next.
//!
//! # How
//! Every runtime re-exec (`run`, `monitor`, `exec`, a build's RUN) is
//! started from a file that cannot be written whatever path reaches it:
//!
//! 1. If `/proc/self/exe` already is one (this process was started from
//!    it, e.g. the monitor re-execing into its supervisor), it is reused.
//! 2. Otherwise, as runc ≥ 1.2 does first: a private overlayfs mount
//!    (`fsopen`/`fsmount`, never attached to any mount namespace) with the
//!    binary's directory and an empty directory as its two lower layers and
//!    no upper layer. An overlay without an upper layer is read-only at the
//!    superblock, so no remount or cloned mount can make it writable, and it
//!    costs a few syscalls: no copy, no memory.
//! 3. Otherwise (no `fsopen`, no overlayfs, the binary's directory is not a
//!    usable lower layer, the binary was replaced since we started): a
//!    memfd copy of `/proc/self/exe`, sealed against writes, growing,
//!    shrinking and further sealing. This costs a full copy (about 10 MB
//!    for a release build, over 200 MB for a debug one) in RAM for as long
//!    as a process runs it, so it is only the fallback.
//!
//! The sealed file is opened once per process and kept (a build's RUNs
//! share it); the runtime entry runs it as `/proc/self/fd/<n>` (what
//! `fexecve` does), so its `/proc/self/exe` is the sealed file. If neither
//! method works, starting the runtime fails rather than expose the binary.
//! runc's "runc-dmz" (a tiny separate binary) is not needed here: skiff's
//! container init must run skiff's own executor code until the workload's
//! execve anyway.

use std::ffi::{CString, OsStr};
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

const SELF_EXE: &str = "/proc/self/exe";

/// The seals that make a memfd immutable (what runc requires too).
const SEALS: libc::c_int =
    libc::F_SEAL_SEAL | libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE;

/// Where the binary to re-exec lives.
enum Program {
    /// `/proc/self/exe` is already sealed.
    SelfExe,
    /// A sealed file held open (overlayfs O_PATH or memfd).
    Sealed(OwnedFd),
}

static PROGRAM: Mutex<Option<Program>> = Mutex::new(None);

/// A `Command` running skiff's own binary from a sealed file, with argv[0]
/// `skiff`. `root` is the store root: the empty overlay layer lives there.
pub fn command(root: &Path) -> io::Result<Command> {
    let mut c = Command::new(program(root)?);
    c.arg0("skiff");
    Ok(c)
}

/// The path to execve: `/proc/self/exe` or `/proc/self/fd/<n>`.
fn program(root: &Path) -> io::Result<PathBuf> {
    let mut cached = PROGRAM.lock().unwrap_or_else(|p| p.into_inner());
    if cached.is_none() {
        *cached = Some(seal(root)?);
    }
    Ok(match cached.as_ref() {
        Some(Program::Sealed(fd)) => PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd())),
        _ => PathBuf::from(SELF_EXE),
    })
}

fn seal(root: &Path) -> io::Result<Program> {
    let exe = File::open(SELF_EXE)?;
    if is_sealed(&exe) {
        return Ok(Program::SelfExe);
    }
    let overlay = overlay_copy(root, &exe);
    if let Ok(fd) = overlay {
        tracing::debug!("skiff's binary sealed through a private overlayfs");
        return Ok(Program::Sealed(fd));
    }
    match memfd_copy(exe) {
        Ok(fd) => {
            tracing::debug!(
                "skiff's binary sealed as a memfd copy (overlayfs: {})",
                overlay.err().map(|e| e.to_string()).unwrap_or_default()
            );
            Ok(Program::Sealed(fd))
        }
        Err(e) => Err(io::Error::new(
            e.kind(),
            format!(
                "cannot seal skiff's binary for the container runtime: overlayfs: {}; memfd: {e}",
                overlay.err().map(|e| e.to_string()).unwrap_or_default()
            ),
        )),
    }
}

/// Whether `exe` cannot be written through any path: a memfd with all of
/// [`SEALS`], or a file on a read-only overlayfs mount (ours, or an
/// image-based host's read-only /usr).
fn is_sealed(exe: &File) -> bool {
    let fd = exe.as_raw_fd();
    // SAFETY: fcntl/fstatfs/fstatvfs on a descriptor we own, into zeroed
    // plain-data structs.
    unsafe {
        let seals = libc::fcntl(fd, libc::F_GET_SEALS);
        if seals >= 0 && seals & SEALS == SEALS {
            return true;
        }
        let mut fs: libc::statfs = std::mem::zeroed();
        let mut vfs: libc::statvfs = std::mem::zeroed();
        libc::fstatfs(fd, &mut fs) == 0
            && fs.f_type as u64 == OVERLAYFS_SUPER_MAGIC
            && libc::fstatvfs(fd, &mut vfs) == 0
            && vfs.f_flag & libc::ST_RDONLY != 0
    }
}

const OVERLAYFS_SUPER_MAGIC: u64 = 0x794c_7630;
// The new mount API (Linux 5.2); stable kernel ABI values, spelled out
// since not every libc target module exports them.
const FSOPEN_CLOEXEC: libc::c_uint = 1;
const FSCONFIG_SET_STRING: libc::c_uint = 1;
const FSCONFIG_CMD_CREATE: libc::c_uint = 6;
const FSMOUNT_CLOEXEC: libc::c_uint = 1;
const MOUNT_ATTR_RDONLY: libc::c_uint = 0x1;
const MOUNT_ATTR_NOSUID: libc::c_uint = 0x2;
const MOUNT_ATTR_NODEV: libc::c_uint = 0x4;

/// The binary seen through a detached, lower-only overlayfs: an O_PATH
/// descriptor to a file nobody can open for writing.
fn overlay_copy(root: &Path, exe: &File) -> io::Result<OwnedFd> {
    let path = std::fs::read_link(SELF_EXE)?;
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(io::Error::other("the binary's path has no directory"));
    };
    if !path.is_absolute() || name.as_bytes().ends_with(b" (deleted)") {
        return Err(io::Error::other("the binary was removed or replaced"));
    }
    // The empty layer must not be inside the binary's directory (nor the
    // other way round): overlayfs refuses overlapping layers.
    let mut last = io::Error::other("no place for the empty layer");
    for empty in [root.join("exe-seal"), PathBuf::from("/run/skiff-exe-seal")] {
        if empty.starts_with(dir) || dir.starts_with(&empty) {
            continue;
        }
        match std::fs::create_dir(&empty) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                last = e;
                continue;
            }
        }
        match mount_and_open(dir, &empty, name, exe) {
            Ok(fd) => return Ok(fd),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// Mount `dir` over `empty` as a lower-only overlay and open `name` in it.
fn mount_and_open(dir: &Path, empty: &Path, name: &OsStr, exe: &File) -> io::Result<OwnedFd> {
    // The binary's directory on top, so a file of the same name in the
    // empty layer could never shadow it.
    let mut lower = escape_lowerdir(dir.as_os_str());
    lower.push(b':');
    lower.extend(escape_lowerdir(empty.as_os_str()));

    // SAFETY: raw syscalls with valid C strings; every returned descriptor
    // is owned at once.
    let ctx =
        owned(unsafe { libc::syscall(libc::SYS_fsopen, c"overlay".as_ptr(), FSOPEN_CLOEXEC) })?;
    let lower = CString::new(lower).map_err(io::Error::other)?;
    set_string(&ctx, c"lowerdir", &lower)?;
    // xino only adds dmesg noise when the layers are on different
    // filesystems; failing to turn it off is harmless.
    let _ = set_string(&ctx, c"xino", c"off");
    // SAFETY: as above.
    let created = unsafe {
        libc::syscall(
            libc::SYS_fsconfig,
            ctx.as_raw_fd(),
            FSCONFIG_CMD_CREATE,
            std::ptr::null::<libc::c_char>(),
            std::ptr::null::<libc::c_void>(),
            0,
        )
    };
    if created != 0 {
        return Err(io::Error::last_os_error());
    }
    let attrs = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
    // SAFETY: as above.
    let mnt = owned(unsafe {
        libc::syscall(libc::SYS_fsmount, ctx.as_raw_fd(), FSMOUNT_CLOEXEC, attrs)
    })?;
    let cname = CString::new(name.as_bytes()).map_err(io::Error::other)?;
    // SAFETY: openat relative to the mount's root descriptor.
    let file = owned(unsafe {
        libc::openat(
            mnt.as_raw_fd(),
            cname.as_ptr(),
            libc::O_PATH | libc::O_NOFOLLOW | libc::O_CLOEXEC,
        ) as libc::c_long
    })?;
    // The directory may hold a newer binary by now (an upgrade renamed one
    // over ours): then only a copy of what runs now is the same program.
    let (ours, seen) = (exe.metadata()?, File::from(file.try_clone()?).metadata()?);
    if !ours.is_file()
        || ours.len() != seen.len()
        || ours.mtime() != seen.mtime()
        || ours.mtime_nsec() != seen.mtime_nsec()
    {
        return Err(io::Error::other(
            "the binary was replaced since skiff started",
        ));
    }
    Ok(file)
}

fn set_string(ctx: &OwnedFd, key: &std::ffi::CStr, value: &std::ffi::CStr) -> io::Result<()> {
    // SAFETY: fsconfig with NUL-terminated key and value.
    let r = unsafe {
        libc::syscall(
            libc::SYS_fsconfig,
            ctx.as_raw_fd(),
            FSCONFIG_SET_STRING,
            key.as_ptr(),
            value.as_ptr(),
            0,
        )
    };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// overlayfs splits `lowerdir` on `:` and unescapes `\`.
fn escape_lowerdir(p: &OsStr) -> Vec<u8> {
    let mut out = Vec::with_capacity(p.len());
    for &b in p.as_bytes() {
        if b == b'\\' || b == b':' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out
}

/// A sealed memfd copy of the running binary.
fn memfd_copy(mut exe: File) -> io::Result<OwnedFd> {
    const MFD_EXEC: libc::c_uint = 0x10;
    let name = c"skiff";
    let base = libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING;
    // Linux ≥ 6.3 with vm.memfd_noexec=1 makes memfds non-executable unless
    // MFD_EXEC says otherwise; older kernels reject the flag.
    // SAFETY: memfd_create with a valid name.
    let mut fd = unsafe { libc::memfd_create(name.as_ptr(), base | MFD_EXEC) };
    if fd < 0 && io::Error::last_os_error().raw_os_error() == Some(libc::EINVAL) {
        // SAFETY: as above.
        fd = unsafe { libc::memfd_create(name.as_ptr(), base) };
    }
    let memfd = owned(fd as libc::c_long)?;
    let mut copy = File::from(memfd);
    // std's copy uses copy_file_range/sendfile between two files.
    let copied = io::copy(&mut exe, &mut copy)?;
    if copied != exe.metadata()?.len() {
        return Err(io::Error::other("short copy of the binary"));
    }
    copy.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o555))?;
    let fd = copy.as_raw_fd();
    // SAFETY: fcntl on the memfd we own. F_SEAL_EXEC (Linux 6.3) keeps the
    // mode as is; older kernels reject it, which is harmless.
    unsafe {
        libc::fcntl(fd, libc::F_ADD_SEALS, libc::F_SEAL_EXEC);
        if libc::fcntl(fd, libc::F_ADD_SEALS, SEALS) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(OwnedFd::from(copy))
}

fn owned(fd: libc::c_long) -> io::Result<OwnedFd> {
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a fresh descriptor returned by the kernel, owned by no one else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowerdir_escapes_colons_and_backslashes() {
        assert_eq!(
            escape_lowerdir(OsStr::new("/a:b\\c")),
            b"/a\\:b\\\\c".to_vec()
        );
        assert_eq!(
            escape_lowerdir(OsStr::new("/usr/bin")),
            b"/usr/bin".to_vec()
        );
    }

    #[test]
    fn memfd_copy_is_sealed_and_unwritable() {
        let fd = memfd_copy(File::open(SELF_EXE).unwrap()).unwrap();
        let f = File::from(fd);
        assert!(is_sealed(&f));
        // Reopening for writing works on a memfd, but no write gets through.
        let path = format!("/proc/self/fd/{}", f.as_raw_fd());
        if let Ok(mut w) = std::fs::OpenOptions::new().write(true).open(&path) {
            let err = std::io::Write::write(&mut w, b"x").unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::EPERM));
        }
        assert_eq!(
            f.metadata().unwrap().len(),
            File::open(SELF_EXE).unwrap().metadata().unwrap().len()
        );
    }

    #[test]
    fn the_overlay_copy_is_read_only_when_it_can_be_made() {
        let root = tempfile::tempdir().unwrap();
        let exe = File::open(SELF_EXE).unwrap();
        // Needs CAP_SYS_ADMIN (and overlayfs, which skiff's rootfs needs
        // anyway): as root it must work, or every start pays for a copy.
        let fd = match overlay_copy(root.path(), &exe) {
            Ok(fd) => fd,
            // SAFETY: geteuid has no preconditions.
            Err(e) if unsafe { libc::geteuid() } == 0 => panic!("overlay seal failed: {e}"),
            Err(_) => return,
        };
        let path = format!("/proc/self/fd/{}", fd.as_raw_fd());
        let err = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EROFS));
        let reopened = File::open(&path).unwrap();
        assert!(is_sealed(&reopened));
        assert!(!is_sealed(&exe), "the test binary itself is not sealed");
    }
}
