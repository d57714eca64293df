//! `skiff import` of a rootfs tar, then `images` (table, -q, --format,
//! --digests) and `image inspect` showing it as docker does.

mod common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use common::*;

/// go-units' HumanSizeWithPrecision(size, 3), written independently of skiff's.
fn docker_size(size: u64) -> String {
    let units = ["B", "kB", "MB", "GB"];
    let mut v = size as f64;
    let mut i = 0;
    while v >= 1000.0 {
        v /= 1000.0;
        i += 1;
    }
    let digits = if v >= 100.0 {
        0
    } else if v >= 10.0 {
        1
    } else {
        2
    };
    let s = format!("{v:.digits$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    format!("{s}{}", units[i])
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn import_then_images_lists_it_with_size_and_id() {
    let bb = PathBuf::from(ground("SKIFF_TEST_BUSYBOX_TAR"));
    let s = Store::new();
    let out = s.ok(&[
        "import",
        "-c",
        "CMD [\"sh\"]",
        "-c",
        "ENV A=1",
        bb.to_str().unwrap(),
        "busybox",
    ]);
    let id = out.trim().to_string();
    assert!(
        id.starts_with("sha256:") && id.len() == 71,
        "import printed {out:?}"
    );

    let table = s.ok(&["images"]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 2, "{table}");
    let header: Vec<&str> = lines[0]
        .split("  ")
        .filter(|x| !x.is_empty())
        .map(str::trim)
        .collect();
    assert_eq!(header, ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"]);
    let row: Vec<&str> = lines[1]
        .split("  ")
        .filter(|x| !x.is_empty())
        .map(str::trim)
        .collect();
    assert_eq!(row[0], "busybox");
    assert_eq!(row[1], "latest");
    assert_eq!(row[2], &id[7..19]);
    assert!(row[3].ends_with("ago"), "{row:?}");
    assert_eq!(row[4], docker_size(tar_content_size(&bb)), "{table}");

    assert_eq!(s.ok(&["images", "-q"]).trim(), &id[7..19]);
    assert_eq!(s.ok(&["images", "-q", "--no-trunc"]).trim(), id);
    let j: serde_json::Value =
        serde_json::from_str(s.ok(&["images", "--format", "json"]).trim()).unwrap();
    assert_eq!(j["Repository"], "busybox");
    assert_eq!(j["Tag"], "latest");
    assert_eq!(j["ID"], &id[7..19]);
    let mut j2: serde_json::Value =
        serde_json::from_str(s.ok(&["images", "--format", "{{json .}}"]).trim()).unwrap();
    j2["CreatedSince"] = j["CreatedSince"].clone();
    assert_eq!(j, j2);
    assert_eq!(
        s.ok(&["images", "--format", "{{.Repository}}:{{.Tag}}"])
            .trim(),
        "busybox:latest"
    );
    assert!(s
        .ok(&["images", "--digests"])
        .lines()
        .next()
        .unwrap()
        .contains("DIGEST"));
    assert_eq!(s.ok(&["images", "other"]).lines().count(), 1);

    let ins = inspect_json(&s, "busybox");
    assert_eq!(ins["Id"], id.as_str());
    assert_eq!(ins["RepoTags"], serde_json::json!(["busybox:latest"]));
    assert_eq!(ins["Config"]["Cmd"], serde_json::json!(["sh"]));
    assert_eq!(ins["Config"]["Env"], serde_json::json!(["A=1"]));
    assert_eq!(ins["Os"], "linux");
    assert_eq!(ins["Size"].as_u64().unwrap(), tar_content_size(&bb));
    assert_eq!(ins["RootFS"]["Layers"].as_array().unwrap().len(), 1);
    // The snapshot holds the rootfs, with busybox runnable.
    let lower = lower_dirs(&s, "busybox");
    assert_eq!(lower.len(), 1);
    assert!(lower[0].join("bin/busybox").is_file());
    assert_eq!(
        fs::read_link(lower[0].join("bin/sh")).unwrap(),
        Path::new("busybox")
    );
    assert_eq!(
        fs::metadata(lower[0].join("tmp"))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777,
        0o1777
    );
    assert_eq!(
        fs::metadata(lower[0].join("home/user")).unwrap().uid(),
        1000
    );
    // By short ID and by full ID too.
    assert_eq!(inspect_json(&s, &id[7..15])["Id"], id.as_str());
    assert_eq!(inspect_json(&s, &id)["Id"], id.as_str());
}
