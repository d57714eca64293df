//! `skiff commit` (docker commit): the container's changes (added,
//! changed and deleted files) become one new layer on its image's, through
//! the builder's layer commit path; `-c` instructions, `-m` and `--author`
//! land in the config and history; a running container is frozen while it
//! is read and runs on afterwards.

mod common;

use common::container::{assert_refused, run_detached, store_with_busybox};
use common::*;

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn commit_makes_an_image_of_the_containers_changes() {
    let (s, img) = store_with_busybox();
    s.ok(&[
        "run",
        "--name",
        "work",
        "-w",
        "/srv",
        img,
        "sh",
        "-c",
        "mkdir -p /srv && echo made > /srv/f && echo y >> /etc/passwd && rm /bin/ls",
    ]);
    let out = s.run(&[
        "commit",
        "-m",
        "the message",
        "--author",
        "A <a@example.com>",
        "-c",
        "ENV FOO=bar",
        "-c",
        "CMD [\"cat\", \"/srv/f\"]",
        "work",
        "made:v1",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let id = stdout(&out).trim().to_string();
    assert!(id.starts_with("sha256:") && id.len() == 71, "{id}");
    assert_eq!(inspect_json(&s, "made:v1")["Id"], id.as_str());

    assert_eq!(s.ok(&["run", "--rm", "made:v1"]), "made\n");
    let seen = s.ok(&[
        "run",
        "--rm",
        "made:v1",
        "sh",
        "-c",
        "echo $FOO; pwd; tail -1 /etc/passwd; test -e /bin/ls || echo gone",
    ]);
    assert_eq!(seen, "bar\n/srv\ny\ngone\n");
    let meta = s.inspect("made:v1", "{{.Author}}|{{json .Config.Cmd}}");
    assert_eq!(meta, "A <a@example.com>|[\"cat\",\"/srv/f\"]");
    let layers = |r: &str| {
        inspect_json(&s, r)["RootFS"]["Layers"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(layers("made:v1"), layers("busybox") + 1);
    let hist = s.ok(&[
        "history",
        "--format",
        "{{.Comment}}|{{.CreatedBy}}",
        "--no-trunc",
        "made:v1",
    ]);
    assert!(
        hist.starts_with("the message|sh -c mkdir -p /srv"),
        "{hist}"
    );

    // A running container: frozen for the commit, running again after.
    let live = run_detached(&s, &[], &["sh", "-c", "echo live > /live; sleep 60"]);
    for _ in 0..100 {
        if s.run(&["exec", &live, "test", "-e", "/live"])
            .status
            .success()
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    s.ok(&["commit", &live, "live:1"]);
    assert_eq!(s.inspect(&live, "{{.State.Status}}"), "running");
    assert_eq!(s.ok(&["run", "--rm", "live:1", "cat", "/live"]), "live\n");
    let out = s.run(&["commit", "-p=false", &live]);
    assert_eq!(out.status.code(), Some(125), "{}", text(&out));
    s.ok(&["rm", "-f", &live]);

    assert_refused(
        &s.run(&["commit", "nosuch", "x:1"]),
        "No such container: nosuch",
    );
}
