//! `skiff exec` (exit codes, env, a real pty) and a foreground `run`:
//! signal proxying, --ulimit and stdin with and without -i.

mod common;

use std::process::Command;
use std::time::Duration;

use common::container::*;
use common::*;

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn exec_through_a_pty() {
    let s = Store::new();
    let id = run_detached(&s, &["--name", "target"], &["sleep", "60"]);
    // Plain exec: own exit code, container's env and namespaces.
    let o = s.run(&[
        "exec",
        "-e",
        "X=1",
        "target",
        "sh",
        "-c",
        "echo $X $HOSTNAME; exit 4",
    ]);
    assert_eq!(o.status.code(), Some(4));
    assert_eq!(stdout(&o), format!("1 {}\n", &id[..12]));
    // -it through a real pty (script(1) gives skiff a terminal).
    let cmd = format!(
        "{} --root {} exec -it target sh -c 'tty; stty size'",
        skiff_bin().display(),
        s.root().display()
    );
    let o = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .unwrap();
    let out = stdout(&o);
    assert!(out.contains("/dev/pts/"), "{out}");
    assert_eq!(
        s.run(&["exec", "target", "no-such"]).status.code(),
        Some(127)
    );
    s.ok(&["rm", "-f", "target"]);
    assert_no_leftovers(&s, &id);
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn foreground_signals_ulimits_and_stdin() {
    let (s, img) = store_with_busybox();
    // sig-proxy: SIGTERM to skiff reaches the container (here via --init).
    let mut c = s.skiff();
    c.args(["run", "--rm", "--init"])
        .arg(img)
        .args(["sleep", "30"]);
    let mut child = c.spawn().unwrap();
    std::thread::sleep(Duration::from_millis(700));
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let st = child.wait().unwrap();
    assert_eq!(st.code(), Some(143));
    // --ulimit
    let o = run(
        &s,
        &["--ulimit", "nofile=512:1024"],
        &["sh", "-c", "ulimit -n; ulimit -Hn"],
    );
    assert_eq!(stdout(&o), "512\n1024\n");
    // -i passes stdin through; without it the container reads EOF.
    let mut c = s.skiff();
    c.args(["run", "--rm", "-i"]).arg(img).args(["cat"]);
    c.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"piped\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "piped\n");
    assert_eq!(stdout(&run(&s, &[], &["cat"])), "");
}
