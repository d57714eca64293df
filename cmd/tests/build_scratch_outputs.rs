//! `skiff build` of a `FROM scratch` image: the config of every
//! instruction, the cache across rebuilds, the exporters (`-o type=local,
//! tar, oci, docker`), --iidfile/-q, and SOURCE_DATE_EPOCH reproducibility.

mod common;

use std::fs;

use common::build::*;
use common::*;

#[test]
fn scratch_build_config_files_cache_and_exporters() {
    let store = Store::new();
    let ctx = scratch_context();
    let c = ctx.path().to_str().unwrap();
    let (progress, _) = build(&store, &["-t", "site:1", c]);
    assert!(!progress.contains("CACHED"), "{progress}");
    let img = inspect_json(&store, "site:1");
    let cfg = &img["Config"];
    assert_eq!(cfg["WorkingDir"], "/app");
    assert_eq!(cfg["User"], "1000:1000");
    assert_eq!(cfg["Cmd"], serde_json::json!(["/app/run"]));
    assert_eq!(
        cfg["Healthcheck"]["Test"],
        serde_json::json!(["CMD", "/bin/check"])
    );
    assert_eq!(cfg["Healthcheck"]["Interval"], 2_000_000_000u64);
    assert_eq!(cfg["StopSignal"], "SIGTERM");
    assert_eq!(cfg["Shell"], serde_json::json!(["/bin/ash", "-c"]));
    assert_eq!(cfg["OnBuild"], serde_json::json!(["RUN echo child"]));
    assert!(cfg["ExposedPorts"]["8080/tcp"].is_object(), "{cfg}");
    assert_eq!(cfg["Labels"]["org.example.x"], "1");
    assert!(cfg["Env"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e == "MODE=prod"));

    // A second build: every step CACHED, the same image ID.
    let id1 = image_id(&store, "site:1");
    let (progress, _) = build(&store, &["-t", "site:2", c]);
    let s = steps(&progress);
    assert!(!s.is_empty());
    assert!(s.iter().all(|(_, cached)| *cached), "{progress}");
    assert_eq!(image_id(&store, "site:2"), id1);

    // Touching a file (same content) keeps the cache.
    let f = ctx.path().join("app.conf");
    let t = fs::File::options().write(true).open(&f).unwrap();
    t.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(5))
        .unwrap();
    drop(t);
    let (progress, _) = build(&store, &["-t", "site:3", c]);
    assert!(
        steps(&progress).iter().all(|(_, cached)| *cached),
        "{progress}"
    );
    assert_eq!(image_id(&store, "site:3"), id1);

    // Changing app.conf reruns that COPY and what follows, nothing before.
    write(ctx.path(), "app.conf", "a=2\n");
    let (progress, _) = build(&store, &["-t", "site:4", c]);
    for (title, cached) in steps(&progress) {
        let before = title.contains("COPY static/")
            || title.contains("WORKDIR")
            || title.contains("--from=assets");
        assert_eq!(cached, before, "{title}\n{progress}");
    }
    assert_ne!(image_id(&store, "site:4"), id1);

    // -o type=local: files, modes, ignored file absent.
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("rootfs");
    build(
        &store,
        &["-o", &format!("type=local,dest={}", dest.display()), c],
    );
    assert_eq!(
        fs::read_to_string(dest.join("www/index.html")).unwrap(),
        "<h1>hi</h1>\n"
    );
    assert!(dest.join("www/css/site.css").is_file());
    assert_eq!(
        fs::read_to_string(dest.join("app/app.conf")).unwrap(),
        "a=2\n"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(dest.join("keys/secret.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o7777, 0o600);
    assert!(!dest.join("app/notes.tmp").exists());

    // type=tar: the same filesystem as a tar.
    let tarf = out.path().join("fs.tar");
    build(
        &store,
        &["-o", &format!("type=tar,dest={}", tarf.display()), c],
    );
    let names = tar_names(&tarf);
    assert!(names.contains(&"app/app.conf".to_string()), "{names:?}");
    assert!(!names.iter().any(|n| n.contains("notes.tmp")));

    // type=oci: an OCI layout with an index.
    let ocif = out.path().join("img.oci.tar");
    build(
        &store,
        &[
            "-t",
            "site:oci",
            "-o",
            &format!("type=oci,dest={}", ocif.display()),
            c,
        ],
    );
    let names = tar_names(&ocif);
    assert!(
        names.contains(&"index.json".to_string()) && names.contains(&"oci-layout".to_string()),
        "{names:?}"
    );

    // type=docker: a docker-save archive.
    let dockf = out.path().join("img.docker.tar");
    build(
        &store,
        &[
            "-t",
            "site:dock",
            "-o",
            &format!("type=docker,dest={}", dockf.display()),
            c,
        ],
    );
    assert!(tar_names(&dockf).contains(&"manifest.json".to_string()));

    // --iidfile and -q.
    let iid = out.path().join("iid");
    let q = store.run(&["build", "-q", "--iidfile", iid.to_str().unwrap(), c]);
    assert!(q.status.success(), "{}", text(&q));
    let printed = String::from_utf8_lossy(&q.stdout).trim().to_string();
    assert_eq!(fs::read_to_string(&iid).unwrap(), printed);
    assert!(printed.starts_with("sha256:"));
}

#[test]
fn source_date_epoch_gives_identical_images() {
    let ctx = scratch_context();
    let c = ctx.path().to_str().unwrap();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let store = Store::new();
        let out = store
            .skiff()
            .env("SOURCE_DATE_EPOCH", "0")
            .args(["build", "-q", "--no-cache", c])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
        ids.push(String::from_utf8_lossy(&out.stdout).trim().to_string());
        // Files written between the two builds must not matter.
        std::thread::sleep(std::time::Duration::from_millis(1100));
        write(ctx.path(), "app.conf", "a=1\n");
    }
    assert_eq!(ids[0], ids[1]);
}
