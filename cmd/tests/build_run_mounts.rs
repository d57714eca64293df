//! RUN --mount=type=secret and type=cache: the secret reaches the RUN but
//! no layer, history or archive; the docker archive loads in podman.

mod common;

use std::fs;

use common::build::*;
use common::podman::podman_run;
use common::*;

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn secrets_cache_mounts_and_docker_archive_for_podman() {
    let (store, d) = busybox_and_context("FROM busybox\n\
         RUN --mount=type=secret,id=token cat /run/secrets/token > /seen-len && wc -c < /run/secrets/token > /seen-len\n\
         RUN --mount=type=cache,target=/cache echo x >> /cache/runs && wc -l < /cache/runs > /runs\n");
    let secret = d.path().join("token.txt");
    fs::write(&secret, "s3cr3t-value").unwrap();
    let c = d.path().to_str().unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let arch = out_dir.path().join("img.tar");
    build(
        &store,
        &[
            "-t",
            "sec:1",
            c,
            "--secret",
            &format!("id=token,src={}", secret.display()),
            "-o",
            &format!("type=docker,dest={}", arch.display()),
        ],
    );
    // The secret is in no layer and not in the history.
    let layers = out_dir.path().join("rootfs");
    build(
        &store,
        &[
            "-o",
            &format!("type=local,dest={}", layers.display()),
            c,
            "--secret",
            &format!("id=token,src={}", secret.display()),
        ],
    );
    assert!(!layers.join("run/secrets/token").exists());
    let save = store.run(&["save", "sec:1"]);
    assert!(save.status.success());
    assert!(!String::from_utf8_lossy(&save.stdout).contains("s3cr3t-value"));
    let hist = inspect_json(&store, "sec:1");
    assert!(!hist.to_string().contains("s3cr3t"));
    assert_eq!(
        fs::read_to_string(layers.join("seen-len")).unwrap().trim(),
        "12"
    );
    // podman loads the docker archive.
    let p = tempfile::tempdir().unwrap();
    let ld = podman_run(p.path(), &["load", "-i", arch.to_str().unwrap()]);
    assert!(ld.status.success(), "podman load: {}", text(&ld));
}
