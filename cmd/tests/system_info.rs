//! `skiff info` (docker info): docker's field names for `--format`, the
//! counts of containers by state and of images, skiff's own version in
//! `SkiffVersion`, and docker's plain-text layout.

mod common;

use common::container::{run_detached, store_with_busybox};

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn info_counts_containers_and_answers_docker_templates() {
    let (s, img) = store_with_busybox();
    s.ok(&["create", img, "true"]);
    let running = run_detached(&s, &[], &["sleep", "30"]);
    let paused = run_detached(&s, &[], &["sleep", "30"]);
    s.ok(&["pause", &paused]);

    let counts = s.ok(&[
        "info",
        "--format",
        "{{.Containers}} {{.ContainersRunning}} {{.ContainersPaused}} {{.ContainersStopped}} {{.Images}}",
    ]);
    assert_eq!(counts.trim(), "3 1 1 1 1");

    let version = s.ok(&["version", "--format", "{{.Server.Version}}"]);
    let info_version = s.ok(&["info", "--format", "{{.ServerVersion}}"]);
    assert_eq!(info_version, version);
    let all: serde_json::Value =
        serde_json::from_str(&s.ok(&["info", "--format", "{{json .}}"])).unwrap();
    assert_eq!(all["SkiffVersion"], version.trim());
    assert_eq!(all["OSType"], "linux");
    assert_eq!(all["DockerRootDir"], s.root().to_str().unwrap());
    assert!(all["NCPU"].as_u64().unwrap() >= 1);
    assert!(all["MemTotal"].as_u64().unwrap() > 0);
    assert!(["1", "2"].contains(&all["CgroupVersion"].as_str().unwrap()));
    assert_eq!(all["ClientInfo"]["Context"], "default");
    let json: serde_json::Value =
        serde_json::from_str(&s.ok(&["info", "--format", "json"])).unwrap();
    assert_eq!(json["Containers"], 3);

    let text = s.ok(&["info"]);
    assert!(text.starts_with("Client:\n Version:"), "{text}");
    assert!(
        text.contains(
            "\nServer:\n Containers: 3\n  Running: 1\n  Paused: 1\n  Stopped: 1\n Images: 1\n"
        ),
        "{text}"
    );
    s.ok(&["rm", "-f", &running, &paused]);

    let bad = s.run(&["info", "--format", "{{.Nope"]);
    assert_eq!(bad.status.code(), Some(125), "{}", common::text(&bad));
}
