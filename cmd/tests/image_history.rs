//! `skiff history` (docker history): newest entry first, the image's ID on
//! it and `<missing>` below, docker's columns and truncation, `-q`,
//! `--no-trunc`, `-H=false`, `--format` (template and json); a missing
//! image exits 1 with the daemon's message.

mod common;

use common::build::{build, dockerfile_context, image_id};
use common::*;

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn history_of_a_built_image_in_docker_columns() {
    let s = busybox_store();
    let long = "x".repeat(60);
    let ctx = dockerfile_context(&format!(
        "FROM busybox\nRUN echo {long} > /f\nENV K=V\nLABEL a=b\n"
    ));
    build(&s, &["-t", "hist", ctx.path().to_str().unwrap()]);
    let id = image_id(&s, "hist");

    let table = s.ok(&["history", "hist"]);
    let lines: Vec<&str> = table.lines().collect();
    let header: Vec<&str> = lines[0]
        .split("   ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        header,
        ["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"],
        "{table}"
    );
    // Busybox's import entry plus the three of the Dockerfile.
    assert_eq!(lines.len(), 5, "{table}");
    assert!(
        lines[1].starts_with(&id["sha256:".len()..][..12]),
        "{table}"
    );
    assert!(
        lines[2..].iter().all(|l| l.starts_with("<missing>")),
        "{table}"
    );
    // LABEL and ENV make no layer: 0B; RUN's command is cut to 45 chars.
    assert!(lines[1].contains(" 0B "), "{table}");
    assert!(lines[3].contains('…'), "{table}");
    assert!(!table.contains(&long), "{table}");

    let quiet = s.ok(&["history", "-q", "hist"]);
    let q: Vec<&str> = quiet.lines().collect();
    assert_eq!(q.len(), 4, "{quiet}");
    assert_eq!(q[0], &id["sha256:".len()..][..12]);
    assert!(q[1..].iter().all(|l| *l == "<missing>"), "{quiet}");

    let full = s.ok(&[
        "history",
        "--no-trunc",
        "--format",
        "{{.ID}}|{{.CreatedBy}}",
        "hist",
    ]);
    assert!(full.starts_with(&format!("{id}|")), "{full}");
    assert!(full.contains(&long), "{full}");

    let raw = s.ok(&[
        "history",
        "-H=false",
        "--format",
        "{{.CreatedSince}}|{{.Size}}",
        "hist",
    ]);
    for l in raw.lines() {
        let (at, size) = l.split_once('|').unwrap();
        assert!(at.ends_with('Z') && at.contains('T'), "{raw}");
        assert!(size.parse::<u64>().is_ok(), "{raw}");
    }

    let json = s.ok(&["history", "--format", "json", "hist"]);
    for l in json.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        for k in [
            "ID",
            "CreatedSince",
            "CreatedAt",
            "CreatedBy",
            "Size",
            "Comment",
        ] {
            assert!(v.get(k).is_some(), "{k} missing in {l}");
        }
    }

    let out = s.run(&["history", "nosuch"]);
    assert_fails_starting(
        &out,
        1,
        "Error response from daemon: No such image: nosuch:latest\n",
    );
    // `image history` is the same command.
    assert_eq!(s.ok(&["image", "history", "-q", "hist"]), quiet);
}
