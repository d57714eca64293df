//! Security defaults of `skiff run`: docker's capability set, the default
//! seccomp profile, masked /proc paths, --privileged, --cap-add/--cap-drop,
//! no-new-privileges and user seccomp profiles.

mod common;

use common::container::*;
use common::*;

/// `grep -E PATTERN /proc/self/status` in a container run with FLAGS: the
/// lines it found.
fn proc_status(s: &Store, flags: &[&str], pattern: &str) -> String {
    stdout(&run(
        s,
        flags,
        &["grep", "-E", pattern, "/proc/self/status"],
    ))
}

/// A container run with FLAGS gets CMD through to exit 0 if and only if
/// `allowed`; the whole output if not.
fn assert_allowed(s: &Store, flags: &[&str], cmd: &[&str], allowed: bool) {
    let o = run(s, flags, cmd);
    assert_eq!(
        o.status.success(),
        allowed,
        "{flags:?} {cmd:?}: {}",
        text(&o)
    );
}

const UNSHARE_USER: &[&str] = &["unshare", "-U", "true"];
const MOUNT_TMPFS: &[&str] = &["sh", "-c", "mkdir -p /m && mount -t tmpfs t /m"];

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn security_defaults_and_seccomp() {
    let s = Store::new();
    // docker's default capability set and an active filter.
    let out = proc_status(&s, &[], "^(CapBnd|CapEff|Seccomp):");
    assert!(out.contains("CapBnd:\t00000000a80425fb"), "{out}");
    assert!(out.contains("CapEff:\t00000000a80425fb"), "{out}");
    assert!(out.contains("Seccomp:\t2"), "{out}");
    // unshare(CLONE_NEWUSER) needs no capability: only seccomp stops it.
    assert_allowed(&s, &[], UNSHARE_USER, false);
    let unconfined = ["--security-opt", "seccomp=unconfined"];
    assert_allowed(&s, &unconfined, UNSHARE_USER, true);
    assert_allowed(&s, &["--privileged"], UNSHARE_USER, true);
    // mount: refused by default, allowed when privileged.
    assert_allowed(&s, &[], MOUNT_TMPFS, false);
    assert_allowed(&s, &["--privileged"], MOUNT_TMPFS, true);
    // Masked and read-only /proc paths.
    let domainname = ["sh", "-c", "echo x > /proc/sys/kernel/domainname"];
    assert_allowed(&s, &[], &domainname, false);
    let o = run(&s, &[], &["sh", "-c", "cat /proc/timer_list | wc -c"]);
    assert_eq!(stdout(&o).trim(), "0", "masked path shows nothing");
    // --cap-drop / --cap-add and no-new-privileges.
    let caps = proc_status(&s, &["--cap-drop", "ALL", "--cap-add", "chown"], "CapEff");
    assert!(caps.contains("0000000000000001"), "{caps}");
    let nnp = proc_status(&s, &["--security-opt", "no-new-privileges"], "NoNewPrivs");
    assert!(nnp.contains("1"), "{nnp}");
    let nnp = proc_status(&s, &[], "NoNewPrivs");
    assert!(
        nnp.contains("0"),
        "docker does not set no_new_privs by default"
    );
    // A user profile that denies mkdir.
    let prof = s.root().join("deny-mkdir.json");
    std::fs::write(&prof, r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}"#).unwrap();
    let opt = format!("seccomp={}", prof.display());
    assert_allowed(&s, &["--security-opt", &opt], &["mkdir", "/x"], false);
}
