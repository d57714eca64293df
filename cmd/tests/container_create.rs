//! `skiff create` (docker create): a container made with run's flags but
//! not started, its full id printed; `ps -a` shows it Created; `start`
//! runs it in the background (`wait` gives its code, `logs` its output) or,
//! with `-a`, attached.

mod common;

use common::container::{created_after_pull, created_id, store_with_busybox};
use common::*;

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn create_then_start_then_wait() {
    let (s, img) = store_with_busybox();
    let out = s.run(&[
        "create",
        "--name=made",
        "-e",
        "K=V",
        img,
        "sh",
        "-c",
        "echo $K; exit 3",
    ]);
    let id = created_id(&out);

    // Not started.
    let ps = s.ok(&["ps", "-a", "--format", "{{.ID}} {{.Names}} {{.Status}}"]);
    assert_eq!(ps.trim(), format!("{} made Created", &id[..12]), "{ps}");
    assert!(s.ok(&["ps", "-q"]).trim().is_empty(), "running already");
    let status = s.ok(&["inspect", "--format", "{{.State.Status}}", &id]);
    assert_eq!(status.trim(), "created");

    assert_eq!(s.ok(&["start", "made"]).trim(), "made");
    assert_eq!(s.ok(&["wait", "made"]).trim(), "3");
    assert_eq!(s.ok(&["logs", "made"]), "V\n");
    let ps = s.ok(&["ps", "-a", "--format", "{{.Status}}"]);
    assert!(ps.starts_with("Exited (3)"), "{ps}");
    s.ok(&["rm", &id]);
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn start_attached_runs_a_created_container_in_the_foreground() {
    let (s, img) = store_with_busybox();
    let id = s.ok(&["create", img, "sh", "-c", "echo attached; exit 4"]);
    let out = s.run(&["start", "-a", id.trim()]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert_eq!(stdout(&out), "attached\n", "{}", text(&out));
    s.ok(&["rm", id.trim()]);
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn create_pulls_a_missing_image_and_says_so_on_stderr() {
    let (s, image) = unpulled_busybox();
    let out = s.run(&["create", "--rm", &image, "true"]);
    let id = created_after_pull(&out);
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!("Unable to find image '{image}' locally\n")),
        "{err}"
    );
    assert!(err.contains("Status: Downloaded newer image for"), "{err}");
    // --rm: gone once it ran.
    s.ok(&["start", &id]);
    for _ in 0..100 {
        if s.ok(&["ps", "-aq"]).trim().is_empty() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("the --rm container was not removed after it ran");
}
