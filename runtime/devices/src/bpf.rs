//! The few bpf(2) commands a cgroup device filter needs, on the raw
//! syscall (no libbpf: it is C).
//!
//! Each command takes a `union bpf_attr`. The structs below are its members
//! with every pointer carried as a u64 and every field at the offset the
//! kernel's header gives it, the same on 32 and 64-bit targets (no implicit
//! padding anywhere; sizes and offsets are asserted at compile time). They
//! are always passed inside [`Attr`], zero-padded well beyond the kernel's
//! union: the kernel writes some results back at fixed offsets of the union
//! without checking the size it was given (`query.revision`, 6.6+), and it
//! accepts a larger attr as long as the excess is zero.

use std::ffi::c_long;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use crate::error::Error;
use crate::program::Insn;

const BPF_PROG_LOAD: c_long = 5;
const BPF_PROG_ATTACH: c_long = 8;
const BPF_PROG_DETACH: c_long = 9;
const BPF_PROG_GET_FD_BY_ID: c_long = 13;
const BPF_OBJ_GET_INFO_BY_FD: c_long = 15;
const BPF_PROG_QUERY: c_long = 16;

const BPF_PROG_TYPE_CGROUP_DEVICE: u32 = 15;
const BPF_CGROUP_DEVICE: u32 = 6;
const BPF_F_ALLOW_MULTI: u32 = 2;
const BPF_F_REPLACE: u32 = 4;
/// `BPF_OBJ_NAME_LEN`.
const NAME_LEN: usize = 16;
/// `BPF_CGROUP_MAX_PROGS`: no cgroup holds more per attach type.
const MAX_PROGS: usize = 64;

/// A command's attr followed by zeros (see the module docs).
#[repr(C)]
struct Attr<T> {
    attr: T,
    _zero: [u64; 48],
}

fn sys_bpf<T>(cmd: c_long, attr: T) -> io::Result<(c_long, Attr<T>)> {
    let mut a = Attr {
        attr,
        _zero: [0; 48],
    };
    // SAFETY: `a` is a valid, zero-padded bpf_attr for `cmd` that outlives
    // the call; every pointer inside it points to live buffers of the sizes
    // given next to them.
    let r = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            cmd,
            &mut a as *mut Attr<T>,
            std::mem::size_of::<Attr<T>>() as libc::c_uint,
        )
    };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok((r, a))
    }
}

fn ptr<T>(p: *const T) -> u64 {
    p as usize as u64
}

/// `bpf_attr` for BPF_PROG_LOAD, up to `expected_attach_type`.
#[repr(C)]
struct ProgLoad {
    prog_type: u32,
    insn_cnt: u32,
    insns: u64,
    license: u64,
    log_level: u32,
    log_size: u32,
    log_buf: u64,
    kern_version: u32,
    prog_flags: u32,
    prog_name: [u8; NAME_LEN],
    prog_ifindex: u32,
    expected_attach_type: u32,
}

/// `bpf_attr` for BPF_PROG_ATTACH and BPF_PROG_DETACH.
#[repr(C)]
struct ProgAttach {
    target_fd: u32,
    attach_bpf_fd: u32,
    attach_type: u32,
    attach_flags: u32,
    replace_bpf_fd: u32,
    _pad: u32,
}

/// `bpf_attr` for BPF_PROG_QUERY.
#[repr(C)]
struct ProgQuery {
    target_fd: u32,
    attach_type: u32,
    query_flags: u32,
    attach_flags: u32,
    prog_ids: u64,
    prog_cnt: u32,
    _pad: u32,
}

/// `bpf_attr` for BPF_PROG_GET_FD_BY_ID.
#[repr(C)]
struct GetFdById {
    prog_id: u32,
    next_id: u32,
    open_flags: u32,
    _pad: u32,
}

/// `bpf_attr` for BPF_OBJ_GET_INFO_BY_FD.
#[repr(C)]
struct InfoByFd {
    bpf_fd: u32,
    info_len: u32,
    info: u64,
}

/// `struct bpf_prog_info` up to `name`, where this crate stops reading.
#[repr(C)]
struct ProgInfo {
    prog_type: u32,
    id: u32,
    tag: [u8; 8],
    jited_prog_len: u32,
    xlated_prog_len: u32,
    jited_prog_insns: u64,
    xlated_prog_insns: u64,
    load_time: u64,
    created_by_uid: u32,
    nr_map_ids: u32,
    map_ids: u64,
    name: [u8; NAME_LEN],
}

const _: () = {
    use std::mem::{offset_of, size_of};
    assert!(offset_of!(ProgLoad, insns) == 8);
    assert!(offset_of!(ProgLoad, log_buf) == 32);
    assert!(offset_of!(ProgLoad, prog_name) == 48);
    assert!(size_of::<ProgLoad>() == 72);
    assert!(size_of::<ProgAttach>() == 24);
    assert!(offset_of!(ProgQuery, prog_ids) == 16);
    assert!(offset_of!(ProgQuery, prog_cnt) == 24);
    assert!(offset_of!(InfoByFd, info) == 8);
    assert!(offset_of!(ProgInfo, map_ids) == 56);
    assert!(offset_of!(ProgInfo, name) == 64);
    assert!(size_of::<ProgInfo>() == 80);
};

/// Load `insns` as a cgroup device program named `name`. On failure the
/// verifier's log is in the error.
pub fn load(insns: &[Insn], name: &str) -> Result<OwnedFd, Error> {
    match load_once(insns, name, &mut []) {
        Ok(fd) => Ok(fd),
        // Before 5.11 programs are charged to RLIMIT_MEMLOCK, often 64 KiB.
        Err(e) if e.raw_os_error() == Some(libc::EPERM) && raise_memlock() => {
            load_once(insns, name, &mut []).map_err(|e| Error::bpf("load", e))
        }
        Err(e) => {
            // Load again with a log, to say why.
            let mut log = vec![0u8; 64 * 1024];
            let again = load_once(insns, name, &mut log);
            let end = log.iter().position(|b| *b == 0).unwrap_or(log.len());
            let text = String::from_utf8_lossy(&log[..end]).trim().to_string();
            match again {
                Ok(fd) => Ok(fd),
                Err(_) => Err(Error::Bpf {
                    op: "load",
                    source: e,
                    log: text,
                }),
            }
        }
    }
}

fn load_once(insns: &[Insn], name: &str, log: &mut [u8]) -> io::Result<OwnedFd> {
    let license = c"Apache-2.0";
    let mut prog_name = [0u8; NAME_LEN];
    let n = name.len().min(NAME_LEN - 1);
    prog_name[..n].copy_from_slice(&name.as_bytes()[..n]);
    let attr = ProgLoad {
        prog_type: BPF_PROG_TYPE_CGROUP_DEVICE,
        insn_cnt: insns.len() as u32,
        insns: ptr(insns.as_ptr()),
        license: ptr(license.as_ptr()),
        log_level: u32::from(!log.is_empty()),
        log_size: log.len() as u32,
        log_buf: if log.is_empty() {
            0
        } else {
            ptr(log.as_mut_ptr())
        },
        kern_version: 0,
        prog_flags: 0,
        prog_name,
        prog_ifindex: 0,
        // Not needed for device programs, and 4.15/4.16 kernels (which
        // lack the field) refuse an attr whose excess bytes are not zero.
        expected_attach_type: 0,
    };
    let (fd, _) = sys_bpf(BPF_PROG_LOAD, attr)?;
    // SAFETY: BPF_PROG_LOAD returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// Lift the caller's RLIMIT_MEMLOCK (root may); true if it changed.
fn raise_memlock() -> bool {
    let unlimited = libc::rlimit {
        rlim_cur: libc::RLIM_INFINITY,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: setrlimit with a valid struct.
    unsafe { libc::setrlimit(libc::RLIMIT_MEMLOCK, &unlimited) == 0 }
}

/// Attach `prog` to the cgroup with BPF_F_ALLOW_MULTI, in place of
/// `replace` if given.
pub fn attach(
    cgroup: BorrowedFd,
    prog: BorrowedFd,
    replace: Option<BorrowedFd>,
) -> Result<(), Error> {
    let attr = ProgAttach {
        target_fd: cgroup.as_raw_fd() as u32,
        attach_bpf_fd: prog.as_raw_fd() as u32,
        attach_type: BPF_CGROUP_DEVICE,
        attach_flags: BPF_F_ALLOW_MULTI | if replace.is_some() { BPF_F_REPLACE } else { 0 },
        replace_bpf_fd: replace.map(|r| r.as_raw_fd() as u32).unwrap_or(0),
        _pad: 0,
    };
    sys_bpf(BPF_PROG_ATTACH, attr)
        .map(|_| ())
        .map_err(|e| Error::bpf("attach", e))
}

/// Detach `prog` from the cgroup.
pub fn detach(cgroup: BorrowedFd, prog: BorrowedFd) -> Result<(), Error> {
    let attr = ProgAttach {
        target_fd: cgroup.as_raw_fd() as u32,
        attach_bpf_fd: prog.as_raw_fd() as u32,
        attach_type: BPF_CGROUP_DEVICE,
        attach_flags: 0,
        replace_bpf_fd: 0,
        _pad: 0,
    };
    sys_bpf(BPF_PROG_DETACH, attr)
        .map(|_| ())
        .map_err(|e| Error::bpf("detach", e))
}

/// Ids of the device programs attached to the cgroup itself (not those
/// inherited from its parents).
pub fn query(cgroup: BorrowedFd) -> Result<Vec<u32>, Error> {
    let mut ids = [0u32; MAX_PROGS];
    let attr = ProgQuery {
        target_fd: cgroup.as_raw_fd() as u32,
        attach_type: BPF_CGROUP_DEVICE,
        query_flags: 0,
        attach_flags: 0,
        prog_ids: ptr(ids.as_mut_ptr()),
        prog_cnt: MAX_PROGS as u32,
        _pad: 0,
    };
    let (_, out) = sys_bpf(BPF_PROG_QUERY, attr).map_err(|e| Error::bpf("query", e))?;
    let n = (out.attr.prog_cnt as usize).min(MAX_PROGS);
    Ok(ids[..n].to_vec())
}

/// A descriptor for the loaded program `id`.
pub fn prog_by_id(id: u32) -> Result<OwnedFd, Error> {
    let attr = GetFdById {
        prog_id: id,
        next_id: 0,
        open_flags: 0,
        _pad: 0,
    };
    let (fd, _) = sys_bpf(BPF_PROG_GET_FD_BY_ID, attr).map_err(|e| Error::bpf("get fd", e))?;
    // SAFETY: a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// The name a program was loaded with.
pub fn prog_name(prog: BorrowedFd) -> Result<String, Error> {
    // SAFETY: ProgInfo is plain integers and byte arrays: all zeros is valid.
    let mut info: ProgInfo = unsafe { std::mem::zeroed() };
    let attr = InfoByFd {
        bpf_fd: prog.as_raw_fd() as u32,
        info_len: std::mem::size_of::<ProgInfo>() as u32,
        info: ptr(&mut info as *mut ProgInfo),
    };
    sys_bpf(BPF_OBJ_GET_INFO_BY_FD, attr).map_err(|e| Error::bpf("get info", e))?;
    let end = info.name.iter().position(|b| *b == 0).unwrap_or(NAME_LEN);
    Ok(String::from_utf8_lossy(&info.name[..end]).into_owned())
}
