//! `attach` to a detached container: its output live from the moment of
//! attaching, signals proxied to it (`--sig-proxy`, the default) and its
//! exit code as attach's; docker's refusals for a stopped or paused
//! container and skiff's for what it cannot do yet (stdin, so
//! `--detach-keys`).

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use common::container::run_detached;
use common::*;

/// A container that counts until SIGTERM, then says so and exits 7.
const COUNTER: &str = "trap 'echo got TERM; exit 7' TERM; i=0; \
                       while true; do echo line $i; i=$((i+1)); sleep 0.2; done";

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn attach_streams_output_and_proxies_signals() {
    let s = Store::new();
    let id = run_detached(&s, &[], &["sh", "-c", COUNTER]);
    std::thread::sleep(Duration::from_millis(700));
    let mut child = s
        .skiff()
        .args(["attach", "--no-stdin", &id])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    // New output only: the lines logged before attaching are not replayed.
    assert!(first.starts_with("line "), "{first:?}");
    assert_ne!(first, "line 0\n", "attach replayed the log");
    // SIGTERM to attach reaches the container, whose code attach returns.
    assert!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) } == 0);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert!(rest.ends_with("got TERM\n"), "{rest}");
    assert_eq!(status.code(), Some(7));
    assert_eq!(s.inspect(&id, "{{.State.ExitCode}}"), "7");
    s.ok(&["rm", &id]);
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn attach_without_sig_proxy_leaves_the_container_running() {
    let s = Store::new();
    let id = run_detached(&s, &[], &["sh", "-c", COUNTER]);
    let (mut child, _) = s.first_line(&["attach", "--sig-proxy=false", &id], Stdio::null());
    assert!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) } == 0);
    let status = child.wait().unwrap();
    assert_ne!(status.code(), Some(0));
    assert_eq!(s.inspect(&id, "{{.State.Running}}"), "true");
    s.ok(&["rm", "-f", &id]);
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn attach_refusals() {
    let s = Store::new();
    let id = run_detached(&s, &[], &["true"]);
    assert_eq!(s.ok(&["wait", &id]).trim(), "0");
    assert_fails(
        &s.run(&["attach", &id]),
        1,
        &["You cannot attach to a stopped container, start it first"],
    );
    assert_fails(
        &s.run(&["attach", "nosuch"]),
        1,
        &["Error response from daemon: No such container: nosuch"],
    );
    assert_fails(
        &s.run(&["attach", "--detach-keys", "ctrl-x", &id]),
        125,
        &["--detach-keys is not supported"],
    );
    s.ok(&["rm", &id]);
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn attach_refuses_a_paused_container() {
    let s = Store::new();
    let id = run_detached(&s, &[], &["sleep", "30"]);
    s.ok(&["pause", &id]);
    assert_fails(
        &s.run(&["attach", &id]),
        1,
        &["You cannot attach to a paused container, unpause it first"],
    );
    s.ok(&["unpause", &id]);
    s.ok(&["rm", "-f", &id]);
}
