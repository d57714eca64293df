//! `skiff pause` / `unpause` (docker's freezer semantics): a paused
//! container's processes stop making progress, `ps` shows
//! `Up ... (Paused)`, inspect says `paused`, exec is refused, and kill,
//! stop and `rm -f` still end it. Refusals exit 1 with docker's
//! `Error response from daemon: ...` line.

mod common;

use std::time::Duration;

use common::container::{assert_refused, created_id, run_detached, store_with_busybox};
use common::*;

/// The counter the looping container writes, read from its upper dir on
/// the host (exec is refused while paused).
fn counter(s: &Store, id: &str) -> u64 {
    let p = s.root().join("containers").join(id).join("upper/tmp/count");
    for _ in 0..100 {
        if let Ok(t) = std::fs::read_to_string(&p) {
            if let Ok(n) = t.trim().parse() {
                return n;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the container never wrote {}", p.display());
}

const LOOP: &[&str] = &[
    "sh",
    "-c",
    "i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.05; done",
];

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn paused_container_makes_no_progress_until_unpaused() {
    let s = busybox_store();
    let id = run_detached(&s, &["--name", "frozen"], LOOP);
    counter(&s, &id);
    assert_eq!(s.ok(&["pause", "frozen"]).trim(), "frozen");

    let status = s.ok(&["ps", "--format", "{{.Status}}|{{.State}}"]);
    assert!(status.trim().ends_with("(Paused)|paused"), "{status}");
    let st = s.inspect(
        "frozen",
        "{{.State.Status}} {{.State.Paused}} {{.State.Running}}",
    );
    assert_eq!(st, "paused true true");
    let ps = s.ok(&["ps", "-q", "--filter", "status=paused"]);
    assert_eq!(ps.trim(), &id[..12]);

    let before = counter(&s, &id);
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(counter(&s, &id), before, "a frozen loop went on");

    let exec = s.run(&["exec", "frozen", "true"]);
    assert_ne!(exec.status.code(), Some(0), "{}", text(&exec));
    assert_stderr_says(&exec, "is paused, unpause the container before exec");

    let again = s.run(&["pause", "frozen"]);
    assert_refused(&again, &format!("Container {id} is already paused"));

    assert_eq!(s.ok(&["unpause", "frozen"]).trim(), "frozen");
    std::thread::sleep(Duration::from_millis(400));
    assert!(counter(&s, &id) > before, "the loop did not resume");
    let status = s.ok(&["ps", "--format", "{{.Status}}"]);
    assert!(!status.contains("Paused"), "{status}");

    let not = s.run(&["unpause", "frozen"]);
    assert_refused(&not, &format!("Container {id} is not paused"));
    s.ok(&["rm", "-f", "frozen"]);
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn kill_stop_and_rm_force_end_a_paused_container() {
    let s = busybox_store();
    // sleep as pid 1 ignores SIGTERM: stop has to get to its SIGKILL.
    for (how, args) in [("kill", vec!["kill"]), ("stop", vec!["stop", "-t", "1"])] {
        let id = run_detached(&s, &[], &["sleep", "100"]);
        s.ok(&["pause", &id]);
        let mut a = args.clone();
        a.push(&id);
        s.ok(&a);
        let out = s.run(&["wait", &id]);
        assert_eq!(stdout(&out).trim(), "137", "{how}: {}", text(&out));
        s.ok(&["rm", &id]);
    }
    let id = run_detached(&s, &[], &["sleep", "100"]);
    s.ok(&["pause", &id]);
    s.ok(&["rm", "-f", &id]);
    assert!(s.ok(&["ps", "-aq"]).trim().is_empty());
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn pause_refuses_stopped_and_missing_containers() {
    let (s, img) = store_with_busybox();
    let id = created_id(&s.run(&["create", img, "true"]));
    let out = s.run(&["pause", &id]);
    assert_refused(&out, &format!("Container {id} is not running"));
    let out = s.run(&["pause", "nosuch", &id]);
    assert_fails_starting(
        &out,
        1,
        "Error response from daemon: No such container: nosuch\n",
    );
    let out = s.run(&["unpause", "nosuch"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}
