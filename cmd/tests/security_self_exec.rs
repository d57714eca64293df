//! A container must never get hold of the host's skiff binary through
//! `/proc/<pid>/exe` of a process running skiff's code inside it (runc's
//! CVE-2019-5736): PID 1 under `--init`, or the helper `skiff exec` joins
//! the container with, turned into a long-lived skiff process by a
//! `#!/proc/self/exe` script. (PID 1 is non-dumpable, so reaching it takes
//! CAP_SYS_PTRACE; the helper's script is dumpable.) The attacker keeps the descriptor; the host
//! end of a socket it was passed to (played here by the test, which takes
//! the container's own descriptor through /proc) reopens it for writing
//! once every skiff process is gone.
//!
//! Each test runs its own copy of skiff, so an exploit that works only
//! damages that copy, and compares the copy's hash before and after.

mod common;

use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{ground, sha256_hex, stdout, text, Store};

/// The copy was just written. A child another test thread forked while
/// the copy's file was open keeps that write descriptor until it execs,
/// and the kernel refuses to run a file open for writing (ETXTBSY): wait
/// until the copy runs, as cargo does for the binaries it just built.
fn wait_runnable(bin: &Path) {
    for _ in 0..250 {
        match Command::new(bin).arg("--version").output() {
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) => {
                std::thread::sleep(Duration::from_millis(20))
            }
            r => {
                assert!(r.unwrap().status.success(), "{} --version", bin.display());
                return;
            }
        }
    }
    panic!("{} stayed busy (ETXTBSY) for 5 s", bin.display());
}

/// A private copy of the skiff binary and a store it runs against.
struct Skiff {
    _dir: tempfile::TempDir,
    bin: PathBuf,
    store: Store,
}

impl Skiff {
    fn new() -> Skiff {
        let base = std::env::var_os("SKIFF_TEST_TMP")
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        let dir = tempfile::tempdir_in(base).unwrap();
        let bin = dir.path().join("skiff");
        std::fs::copy(common::skiff_bin(), &bin).unwrap();
        wait_runnable(&bin);
        let s = Skiff {
            _dir: dir,
            bin,
            store: Store::new(),
        };
        s.ok(&["import", &ground("SKIFF_TEST_BUSYBOX_TAR"), "busybox"]);
        s
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new(&self.bin);
        c.arg("--root").arg(self.store.root());
        c
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).output().unwrap();
        assert!(out.status.success(), "skiff {args:?}: {}", text(&out));
        stdout(&out)
    }

    fn hash(&self) -> String {
        sha256_hex(&std::fs::read(&self.bin).unwrap())
    }

    /// (st_dev, st_ino) of the binary copy, as `stat -c %d:%i` prints it.
    fn dev_ino(&self) -> String {
        let m = std::fs::metadata(&self.bin).unwrap();
        format!("{}:{}", m.dev(), m.ino())
    }

    /// The container's logs once `marker` appears in them.
    fn logs_with(&self, id: &str, marker: &str) -> String {
        let t0 = Instant::now();
        loop {
            let out = self.cmd().args(["logs", id]).output().unwrap();
            let all = format!("{}{}", stdout(&out), common::stderr(&out));
            if all.contains(marker) {
                return all;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(20),
                "no {marker:?} in logs: {all}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Host pid of the container's process 1.
    fn init_pid(&self, id: &str) -> u32 {
        let out = self.ok(&["inspect", "--format", "{{.State.Pid}}", id]);
        out.trim().parse().unwrap()
    }
}

/// The container's shell that grabbed the binary: the only child of PID 1.
fn child_of(pid: u32) -> u32 {
    let kids = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap();
    kids.split_whitespace().next().unwrap().parse().unwrap()
}

/// Take the container's descriptor 3 (what it would pass out over a unix
/// socket), let every skiff process end by removing the container, then
/// try to write through it as the runc exploit does. Returns what happened.
fn write_after_exit(s: &Skiff, holder: u32, id: &str) -> String {
    let held = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH)
        .open(format!("/proc/{holder}/fd/3"))
        .unwrap();
    s.ok(&["rm", "-f", id]);
    let path = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&held));
    let t0 = Instant::now();
    loop {
        match std::fs::OpenOptions::new().write(true).open(&path) {
            Ok(mut f) => {
                return match f.write(b"pwned") {
                    Ok(_) => "WRITTEN".into(),
                    Err(e) => format!("write: {e}"),
                };
            }
            // A skiff process of this copy still running: wait for it.
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) => {
                if t0.elapsed() > Duration::from_secs(10) {
                    return format!("still busy: {e}");
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => return format!("open: {e}"),
        }
    }
}

/// The line the container printed before `marker`: `stat -L` of the exe it
/// grabbed.
fn seen_dev_ino(logs: &str) -> String {
    logs.lines()
        .find(|l| l.starts_with("exe "))
        .map(|l| l[4..].trim().to_string())
        .unwrap_or_default()
}

/// What a grab that held the process' exe (`logs`: the container's, with
/// `stat -L` of it) and then tried to write it (`outcome`) must have found:
/// `who` did not run the host's skiff binary, which kept its `before` hash.
fn assert_not_exposed(s: &Skiff, before: &str, who: &str, logs: &str, outcome: &str) {
    assert_ne!(
        seen_dev_ino(logs),
        s.dev_ino(),
        "{who} runs the host's skiff binary ({outcome}): {logs}"
    );
    assert_ne!(outcome, "WRITTEN", "the container overwrote skiff's binary");
    assert_eq!(s.hash(), before, "skiff's binary changed ({outcome})");
}

const GRAB: &str =
    "stat -L -c 'exe %d:%i' /proc/$P/exe; exec 3</proc/$P/exe; echo held; exec sleep 1000";

#[test]
#[ignore = "needs the test ground (scripts/test)"]
fn init_as_pid1_does_not_expose_the_host_binary() {
    let s = Skiff::new();
    let before = s.hash();
    let script = format!("P=1; {GRAB}");
    // PID 1 never execs, so it stays non-dumpable as libcontainer left it:
    // only a container with CAP_SYS_PTRACE (a common debugging setup; any
    // `--privileged` one) may open its /proc/1/exe at all.
    let flags = ["run", "-d", "--init", "--cap-add", "SYS_PTRACE", "busybox"];
    let id = s.ok(&[&flags[..], &["sh", "-c", &script]].concat());
    let id = id.trim();
    let logs = s.logs_with(id, "held");
    let holder = child_of(s.init_pid(id));
    let outcome = write_after_exit(&s, holder, id);
    assert_not_exposed(&s, &before, "PID 1", &logs, &outcome);
}

/// ldd's view of the binary's libraries, as `-v` bind mounts, so a
/// dynamically linked (debug) skiff can run inside busybox.
fn library_mounts(bin: &Path) -> Vec<String> {
    let out = Command::new("ldd").arg(bin).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter(|w| w.starts_with('/'))
        .map(|p| format!("{p}:{p}:ro"))
        .collect()
}

#[test]
#[ignore = "needs the test ground (scripts/test)"]
fn exec_helper_does_not_expose_the_host_binary() {
    let s = Skiff::new();
    let before = s.hash();
    // PID 1 waits for the exec'd script to become skiff, then grabs it.
    let script = format!(
        "printf '#!/proc/self/exe login\\n' >/exploit; chmod +x /exploit; echo ready; \
         until P=$(pidof exploit); do usleep 20000; done; {GRAB}"
    );
    let mut args = vec!["run".to_string(), "-d".into()];
    for m in library_mounts(&s.bin) {
        args.push("-v".into());
        args.push(m);
    }
    args.extend(["busybox", "sh", "-c", &script].map(String::from));
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let id = s.ok(&argv);
    let id = id.trim();
    s.logs_with(id, "ready");
    // The script blocks in skiff's `login` prompt while stdin stays open.
    let mut exec = s
        .cmd()
        .args(["exec", "-i", id, "/exploit"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let logs = s.logs_with(id, "held");
    drop(exec.stdin.take());
    let mut out = String::new();
    let _ = exec.stdout.take().unwrap().read_to_string(&mut out);
    let _ = exec.wait();
    // PID 1 itself holds the descriptor (its shell exec'd sleep).
    let outcome = write_after_exit(&s, s.init_pid(id), id);
    assert!(
        out.contains("Username"),
        "the script did not run skiff: {out}"
    );
    assert_not_exposed(&s, &before, "the exec helper", &logs, &outcome);
}
