//! `skiff push` to a new repository: docker's progress and digest lines,
//! cross-repository mounts, and skopeo/podman seeing the same image.

mod common;

use common::podman::podman_run;
use common::registry::*;
use common::*;

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn push_to_new_repository_is_seen_by_skopeo_and_runs_in_podman() {
    let store = Store::new();
    let reg = ground("SKIFF_TEST_REGISTRY");
    let (image, target) = busybox_tagged_for(&store, &reg, "pushed", "v1");
    // Flags after the image name, as docker allows.
    let out = store.ok(&["push", &target, "--progress", "plain"]);
    let repo = target.rsplit_once(':').unwrap().0;
    assert!(
        out.contains(&format!("The push refers to repository [{repo}]")),
        "{out}"
    );
    // Same registry: the layer is mounted from busybox, not uploaded again.
    assert!(
        out.contains("Mounted from busybox") || out.contains("Layer already exists"),
        "{out}"
    );
    let last = out.lines().last().unwrap();
    assert!(
        last.starts_with("v1: digest: sha256:") && last.contains(" size: "),
        "{out}"
    );
    let pushed = last.split_whitespace().nth(2).unwrap().to_string();

    let inspect = sh(&format!(
        "skopeo inspect --tls-verify=false docker://{target}"
    ));
    let v: serde_json::Value = serde_json::from_str(&inspect).unwrap();
    assert_eq!(v["Digest"], pushed.as_str());
    // And it is the digest skiff pulled: the manifest bytes went unchanged.
    let src: serde_json::Value = serde_json::from_str(&sh(&format!(
        "skopeo inspect --tls-verify=false docker://{image}"
    )))
    .unwrap();
    assert_eq!(src["Digest"], pushed.as_str());

    // -q prints only the reference.
    let q = store.ok(&["push", &target, "--quiet"]);
    assert_eq!(q.trim(), target);

    // podman pulls and runs it.
    let p = tempfile::tempdir().unwrap();
    let podman = |args: &[&str]| podman_run(p.path(), args);
    let pulled = podman(&["pull", "-q", "--tls-verify=false", &target]);
    assert!(pulled.status.success(), "podman pull: {}", text(&pulled));
    let ran = podman(&["run", "--rm", "--network", "none", &target, "echo", "ok"]);
    assert!(ran.status.success(), "podman run: {}", text(&ran));
    assert_eq!(String::from_utf8_lossy(&ran.stdout).trim(), "ok");
    let _ = podman(&["rmi", "-a", "-f"]);
}
