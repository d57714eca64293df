//! `skiff events` (docker events) from the store's event log: container
//! and image operations of any skiff process are recorded; `--since`,
//! `--until`, `--filter` and `--format` as docker's; without `--until` it
//! follows new events as they happen.

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::container::{created_id, store_with_busybox};
use common::*;

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn events_record_container_and_image_operations() {
    let (s, img) = store_with_busybox();
    let id = created_id(&s.run(&["create", "--name", "ev", img, "sh", "-c", "exit 3"]));
    assert_eq!(s.run(&["start", "-a", "ev"]).status.code(), Some(3));
    s.ok(&["rename", "ev", "ev2"]);
    s.ok(&["tag", "busybox", "evtag:1"]);
    s.ok(&["rm", "ev2"]);

    let all = recorded(
        &s,
        &[
            "--filter",
            "type=container",
            "--format",
            "{{.Type}} {{.Action}} {{.ID}} {{.Actor.Attributes.name}}",
        ],
    );
    let want: Vec<String> = [
        "create ev",
        "start ev",
        "die ev",
        "rename ev2",
        "destroy ev2",
    ]
    .iter()
    .map(|w| {
        let (action, name) = w.split_once(' ').unwrap();
        format!("container {action} {id} {name}")
    })
    .collect();
    assert_eq!(all.lines().collect::<Vec<_>>(), want, "{all}");

    let die = recorded(
        &s,
        &[
            "-f",
            "event=die",
            "-f",
            "container=ev",
            "--format",
            "{{.Status}} {{.Actor.Attributes.exitCode}}",
        ],
    );
    assert_eq!(die, "die 3\n");
    // docker's default line: time, type, action, id, (sorted attributes).
    let line = recorded(&s, &["--filter", "event=tag"]);
    assert!(
        line.trim_end()
            .ends_with("(name=docker.io/library/evtag:1)"),
        "{line}"
    );
    assert!(line.contains("Z image tag sha256:"), "{line}");
    let json = recorded(&s, &["--filter", "event=rename", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(v["Actor"]["Attributes"]["oldName"], "/ev");
    assert_eq!(v["status"], "rename");
    // --until before everything: nothing.
    assert_eq!(s.ok(&["events", "--since", "5m", "--until", "1"]), "");

    // Following: a container made after `events` started shows up.
    let follower = s
        .skiff()
        .args([
            "events",
            "--filter",
            "event=create",
            "--format",
            "{{.Actor.Attributes.name}}",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    s.ok(&["create", "--name", "later", img, "true"]);
    std::thread::sleep(Duration::from_millis(700));
    unsafe { libc::kill(follower.id() as i32, libc::SIGTERM) };
    let out = follower.wait_with_output().unwrap();
    assert_eq!(stdout(&out), "later\n", "{}", text(&out));

    let bad = s.run(&["events", "--since", "yesterday-ish"]);
    assert_eq!(bad.status.code(), Some(125), "{}", text(&bad));
    let bad = s.run(&["events", "--filter", "colour=red", "--until", "0s"]);
    assert_eq!(bad.status.code(), Some(125), "{}", text(&bad));
}

/// `skiff events` over the last five minutes, up to now (no following).
fn recorded(s: &Store, args: &[&str]) -> String {
    let mut all = vec!["events", "--since", "5m", "--until", "0s"];
    all.extend_from_slice(args);
    s.ok(&all)
}
