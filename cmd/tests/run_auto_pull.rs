//! `run` (and `create`) pull an image that is not in the store, as docker
//! does, through `skiff pull`'s code: "Unable to find image 'X' locally",
//! then the pull's lines, all on stderr; `--pull=always|missing|never`,
//! `--platform`, `-q`. Against the test ground's plain registry.

mod common;

use std::path::Path;

use common::container::created_after_pull;
use common::registry::*;
use common::*;

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn run_of_an_unpulled_image_pulls_it_then_runs() {
    let (store, image) = unpulled_busybox();
    let out = store.run(&["run", "--rm", &image, "echo", "hello"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // stdout is the container's alone.
    assert_eq!(stdout(&out), "hello\n", "{}", text(&out));
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines.first().copied(),
        Some(format!("Unable to find image '{image}' locally").as_str()),
        "{err}"
    );
    assert_eq!(lines.get(1).copied(), Some("latest: Pulling from busybox"));
    assert!(err.contains(": Pull complete"), "{err}");
    assert!(err.contains("Digest: sha256:"), "{err}");
    assert!(
        err.contains(&format!("Status: Downloaded newer image for {image}")),
        "{err}"
    );
    // The image stays, as after `skiff pull`.
    let (repo, _) = image.rsplit_once(':').unwrap();
    assert!(store.ok(&["images"]).contains(repo));

    // Now it is there: no pull at all.
    let again = store.run(&["run", "--rm", &image, "echo", "again"]);
    assert_eq!(stdout(&again), "again\n", "{}", text(&again));
    assert_stderr_lacks(&again, "Pulling from");
    assert_stderr_lacks(&again, "Unable to find");
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn detached_run_prints_only_the_id_on_stdout() {
    let (store, image) = unpulled_busybox();
    let id = created_after_pull(&store.run(&["run", "-d", &image, "true"]));
    assert_eq!(store.ok(&["wait", &id]).trim(), "0");
    store.ok(&["rm", &id]);
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn quiet_run_pulls_without_a_word() {
    let (store, image) = unpulled_busybox();
    let out = store.run(&["run", "--rm", "-q", &image, "echo", "hi"]);
    assert_eq!(stdout(&out), "hi\n", "{}", text(&out));
    assert_eq!(stderr(&out), "", "{}", text(&out));
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn pull_never_with_a_missing_image_fails_125_and_pulls_nothing() {
    let (store, image) = unpulled_busybox();
    let out = store.run(&["run", "--rm", "--pull=never", &image, "true"]);
    assert_fails(&out, 125, &[&format!("No such image: {image}")]);
    assert_stderr_lacks(&out, "Pulling from");
    assert!(store.ok(&["images", "-q"]).trim().is_empty());
    // The same for create; and a word docker does not know is refused.
    let out = store.run(&["create", "--pull", "never", &image]);
    assert_eq!(out.status.code(), Some(125), "{}", text(&out));
    let out = store.run(&["run", "--pull=sometimes", &image]);
    assert_fails(
        &out,
        125,
        &["invalid pull option: 'sometimes': must be one of \"always\", \"missing\" or \"never\""],
    );
}

/// The busybox rootfs with `/marker` holding `text`, as a tar in `dir`.
fn busybox_with_marker(dir: &Path, text: &str) -> std::path::PathBuf {
    let tar = dir.join(format!("{text}.tar"));
    std::fs::copy(ground("SKIFF_TEST_BUSYBOX_TAR"), &tar).unwrap();
    std::fs::write(dir.join("marker"), text).unwrap();
    sh(&format!(
        "tar -C {} -rf {} marker",
        dir.display(),
        tar.display()
    ));
    tar
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn pull_always_rechecks_the_registry_and_missing_does_not() {
    let tmp = tempfile::tempdir().unwrap();
    let reference = format!(
        "{}/{}:latest",
        ground("SKIFF_TEST_REGISTRY"),
        unique("autopull")
    );
    make_image(&busybox_with_marker(tmp.path(), "v1"), &reference);
    let store = Store::new();
    let cat = |flags: &[&str]| {
        let mut args = vec!["run", "--rm"];
        args.extend_from_slice(flags);
        args.extend_from_slice(&[&reference, "cat", "/marker"]);
        let out = store.run(&args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        (stdout(&out), stderr(&out))
    };
    assert_eq!(cat(&[]).0, "v1");

    // The tag moves in the registry.
    make_image(&busybox_with_marker(tmp.path(), "v2"), &reference);
    let (out, err) = cat(&[]);
    assert_eq!(out, "v1", "missing (the default) must not look again");
    assert!(!err.contains("Pulling from"), "{err}");

    let (out, err) = cat(&["--pull=always"]);
    assert_eq!(out, "v2", "--pull=always must fetch the moved tag\n{err}");
    assert!(!err.contains("Unable to find image"), "{err}");
    assert!(err.contains("Pulling from"), "{err}");
    assert!(err.contains("Status: Downloaded newer image for"), "{err}");

    let (out, err) = cat(&["--pull", "always"]);
    assert_eq!(out, "v2");
    assert!(err.contains("Status: Image is up to date for"), "{err}");
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn platform_on_run_selects_and_is_checked() {
    let (store, image) = unpulled_busybox();
    // The ground's busybox is the host's platform only.
    let host = match std::env::consts::ARCH {
        "x86_64" => "linux/amd64",
        "aarch64" => "linux/arm64",
        other => panic!("no test platform for {other}"),
    };
    let out = store.run(&["run", "--rm", "--platform", host, &image, "echo", "ok"]);
    assert_eq!(stdout(&out), "ok\n", "{}", text(&out));

    // A platform the image does not have: the error names it.
    for pull in ["--pull=missing", "--pull=never"] {
        let out = store.run(&[
            "run",
            "--rm",
            pull,
            "--platform=linux/s390x",
            &image,
            "true",
        ]);
        assert_fails(&out, 125, &["wanted linux/s390x, actual: linux/"]);
    }
    // A platform that is no platform.
    let out = store.run(&["run", "--platform", "linux/", &image]);
    assert_fails(&out, 125, &["invalid platform"]);
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn an_image_of_another_platform_runs_with_dockers_warning() {
    let store = Store::new();
    // The busybox binaries are the host's; only the config says s390x.
    store.ok(&[
        "import",
        "--platform",
        "linux/s390x",
        &ground("SKIFF_TEST_BUSYBOX_TAR"),
        "foreign",
    ]);
    let out = store.run(&["run", "--rm", "foreign", "echo", "ran"]);
    assert_eq!(stdout(&out), "ran\n", "{}", text(&out));
    assert_stderr_says(
        &out,
        "WARNING: The requested image's platform (linux/s390x) does not match the detected host platform",
    );
    // Asked for by name, a foreign platform must be runnable here: with no
    // binfmt handler for s390x, the error says so and how to enable
    // emulation (issue #15), instead of a container failing later with
    // "exec format error".
    let out = store.run(&[
        "run",
        "--rm",
        "--platform=linux/s390x",
        "foreign",
        "echo",
        "ran",
    ]);
    assert_fails(
        &out,
        125,
        &["cannot run linux/s390x binaries", "qemu-user-static"],
    );
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn bad_flag_values_are_refused_before_any_pull() {
    // docker's CLI checks flag values before it looks for the image: the
    // error names the flag, exit 125, and the registry is never asked.
    let (store, image) = unpulled_busybox();
    let cases: &[(&[&str], &str)] = &[
        (&["--cpus", "abc"], "--cpus"),
        (&["--memory=12x"], "--memory"),
        (&["--restart", "sometimes"], "sometimes"),
        (&["--health-interval", "soon"], "--health-interval"),
        (&["--ulimit", "nofile=x"], "nofile"),
        (&["--env-file", "/nonexistent/env"], "/nonexistent/env"),
    ];
    for cmd in ["run", "create"] {
        for (flags, named) in cases {
            let mut args = vec![cmd];
            args.extend_from_slice(flags);
            args.extend([image.as_str(), "true"]);
            let out = store.run(&args);
            assert_eq!(out.status.code(), Some(125), "{args:?}: {}", text(&out));
            let err = stderr(&out);
            assert!(err.contains(named), "{args:?}: {err}");
            assert!(!err.contains("Unable to find image"), "{args:?}: {err}");
            assert!(!err.contains("Pulling from"), "{args:?}: {err}");
        }
    }
    assert!(store.ok(&["images", "-q"]).trim().is_empty());
    assert!(store.ok(&["ps", "-aq"]).trim().is_empty());
}
