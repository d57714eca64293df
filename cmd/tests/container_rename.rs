//! `skiff rename` (docker rename): the container answers to the new name
//! only; docker's refusals (same name, a name in use, a bad name, no such
//! container) exit 1 with the daemon's message.

mod common;

use common::container::{created_id, store_with_busybox};
use common::*;

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn rename_moves_the_name_and_refuses_what_docker_refuses() {
    let (s, img) = store_with_busybox();
    let id = created_id(&s.run(&["create", "--name", "old", img, "true"]));
    s.ok(&["create", "--name", "taken", img, "true"]);

    assert_eq!(s.ok(&["rename", "old", "new"]), "");
    let name = s.ok(&["inspect", "--format", "{{.Name}}", &id]);
    assert_eq!(name.trim(), "/new");
    let gone = s.run(&["inspect", "old"]);
    assert_ne!(gone.status.code(), Some(0), "{}", text(&gone));
    // The old name is free again.
    s.ok(&["create", "--name", "old", img, "true"]);

    let cases: [(&[&str], String); 4] = [
        (
            &["rename", "new", "new"],
            "Error response from daemon: Renaming a container with the same name as its current name".into(),
        ),
        (
            &["rename", "new", "taken"],
            "Error response from daemon: Conflict. The container name \"/taken\" is already in use by container".into(),
        ),
        (
            &["rename", "new", "b@d"],
            "Error response from daemon: Invalid container name (b@d)".into(),
        ),
        (
            &["rename", "nosuch", "x1"],
            "Error response from daemon: No such container: nosuch".into(),
        ),
    ];
    for (args, msg) in cases {
        assert_fails_starting(&s.run(args), 1, &msg);
    }
    // A running container can be renamed too, and keeps running.
    let run = s.ok(&["run", "-d", "--name", "live", img, "sleep", "30"]);
    s.ok(&["rename", "live", "alive"]);
    let ps = s.ok(&["ps", "--format", "{{.ID}} {{.Names}}"]);
    assert_eq!(ps.trim(), format!("{} alive", &run.trim()[..12]));
    s.ok(&["rm", "-f", "alive"]);
}
