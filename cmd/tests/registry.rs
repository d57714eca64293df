//! Registry client against real registries of the test ground (plain HTTP
//! and TLS + htpasswd on 127.0.0.1), with skopeo and podman as peers.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{assert_success, ground, Store};

const GROUND: &str = "needs the test ground: scripts/test";

fn sh(script: &str) -> String {
    let out = Command::new("sh").arg("-c").arg(script).output().unwrap();
    assert!(
        out.status.success(),
        "{script} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A name no other test (or earlier run against the same ground) uses.
fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn mkimage_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/testground/up.d/mkimage.py")
}

/// Facts about an image made by mkimage.py.
#[derive(Debug, Clone)]
struct Made {
    reference: String,
    manifest: String,
    config: String,
    layer: String,
}

/// Build a one-layer image from `rootfs_tar` and copy it with skopeo to
/// `reference` in a plain registry.
fn make_image(rootfs_tar: &Path, reference: &str) -> Made {
    let tmp = tempfile::tempdir().unwrap();
    let layout = tmp.path().join("layout");
    let facts = sh(&format!(
        "python3 {} {} {}",
        mkimage_script().display(),
        rootfs_tar.display(),
        layout.display()
    ));
    sh(&format!(
        "skopeo copy -q --dest-tls-verify=false oci:{}:latest docker://{reference}",
        layout.display()
    ));
    let v: serde_json::Value = serde_json::from_str(&facts).unwrap();
    Made {
        reference: reference.to_string(),
        manifest: v["manifest"].as_str().unwrap().into(),
        config: v["config"].as_str().unwrap().into(),
        layer: v["layer"].as_str().unwrap().into(),
    }
}

/// A 24 MB single-layer image of random data (incompressible, so the
/// download takes long enough to be interrupted), made once per run.
fn big_image() -> &'static Made {
    static BIG: OnceLock<Made> = OnceLock::new();
    BIG.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("rootfs");
        std::fs::create_dir(&root).unwrap();
        sh(&format!(
            "head -c 24M /dev/urandom > {r}/big && tar -C {r} -cf {t}/rootfs.tar .",
            r = root.display(),
            t = tmp.path().display()
        ));
        let reference = format!("{}/{}:latest", ground("SKIFF_TEST_REGISTRY"), unique("big"));
        make_image(&tmp.path().join("rootfs.tar"), &reference)
    })
}

fn sha256_of_config(reference: &str, tls_flag: &str) -> String {
    sh(&format!(
        "skopeo inspect {tls_flag} --raw --config docker://{reference} | sha256sum | cut -d' ' -f1"
    ))
}

/// docker's human sizes ("2.21MB") back to bytes, roughly.
fn parse_human(s: &str) -> f64 {
    let split = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let mult = match unit {
        "B" => 1.0,
        "kB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        other => panic!("unexpected size unit {other:?} in {s:?}"),
    };
    num.parse::<f64>().unwrap() * mult
}

/// Sum of the regular files of a tar, what docker shows as an image size.
fn tar_content_size(tar: &str) -> f64 {
    sh(&format!(
        "tar -tvf {tar} | awk 'substr($1,1,1)==\"-\" {{s+=$3}} END {{print s}}'"
    ))
    .parse()
    .unwrap()
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn pull_then_images_lists_it_with_size_and_id() {
    let _ = GROUND;
    let image = ground("SKIFF_TEST_BUSYBOX_IMAGE");
    let store = Store::new();
    let out = store.ok(&["pull", &image]);
    assert!(out.contains("Pull complete"), "{out}");
    assert!(out.contains("Digest: sha256:"), "{out}");
    assert!(
        out.contains(&format!("Status: Downloaded newer image for {image}")),
        "{out}"
    );
    assert!(out.trim_end().ends_with(&image), "{out}");

    let id = sha256_of_config(&image, "--tls-verify=false");
    let json = store.ok(&["images", "--format", "{{json .}}"]);
    let (repo, tag) = image.rsplit_once(':').unwrap();
    let row: serde_json::Value = json
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["Repository"] == repo && v["Tag"] == tag)
        .unwrap_or_else(|| panic!("{image} not listed:\n{json}"));
    let listed_id = row["ID"].as_str().unwrap().trim_start_matches("sha256:");
    assert!(
        id.starts_with(listed_id) && listed_id.len() >= 12,
        "ID {listed_id} vs {id}"
    );
    let size = parse_human(row["Size"].as_str().unwrap());
    let want = tar_content_size(&ground("SKIFF_TEST_BUSYBOX_TAR"));
    assert!(
        (size - want).abs() / want < 0.01,
        "size {} ({size}) vs {want} bytes of content",
        row["Size"]
    );
    // The table shows the same.
    let table = store.ok(&["images"]);
    assert!(table.contains(repo) && table.contains(&id[..12]), "{table}");

    // A second pull changes nothing.
    let again = store.ok(&["pull", &image]);
    assert!(again.contains("Already exists"), "{again}");
    assert!(again.contains("Image is up to date"), "{again}");
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn push_to_new_repository_is_seen_by_skopeo_and_runs_in_podman() {
    let image = ground("SKIFF_TEST_BUSYBOX_IMAGE");
    let reg = ground("SKIFF_TEST_REGISTRY");
    let store = Store::new();
    store.ok(&["pull", "-q", &image]);
    let target = format!("{reg}/{}:v1", unique("pushed"));
    store.ok(&["tag", &image, &target]);
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
    let conf = p.path().join("containers.conf");
    std::fs::write(
        &conf,
        "[containers]\ndefault_ulimits = [\"nofile=1024:1024\", \"nproc=1024:1024\"]\n\
         [engine]\nruntime = \"runc\"\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\n",
    )
    .unwrap();
    let podman = |args: &[&str]| {
        Command::new("podman")
            .env("CONTAINERS_CONF", &conf)
            .arg("--root")
            .arg(p.path().join("root"))
            .arg("--runroot")
            .arg(p.path().join("run"))
            .args(args)
            .output()
            .unwrap()
    };
    let pulled = podman(&["pull", "-q", "--tls-verify=false", &target]);
    assert!(pulled.status.success(), "podman pull: {}", text(&pulled));
    let ran = podman(&["run", "--rm", "--network", "none", &target, "echo", "ok"]);
    assert!(ran.status.success(), "podman run: {}", text(&ran));
    assert_eq!(String::from_utf8_lossy(&ran.stdout).trim(), "ok");
    let _ = podman(&["rmi", "-a", "-f"]);
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn tls_registry_needs_its_ca_and_a_login() {
    let image = ground("SKIFF_TEST_BUSYBOX_IMAGE");
    let tls = ground("SKIFF_TEST_TLS_REGISTRY");
    let user = ground("SKIFF_TEST_TLS_USER");
    let password = ground("SKIFF_TEST_TLS_PASSWORD");
    let store = Store::new();
    store.ok(&["pull", "-q", &image]);
    let target = format!("{tls}/{}:1", unique("secure"));
    store.ok(&["tag", &image, &target]);

    let docker_config = tempfile::tempdir().unwrap();
    let certs_d = tempfile::tempdir().unwrap();
    let skiff = |args: &[&str], stdin: Option<&str>| {
        let mut c = store.skiff();
        c.env("DOCKER_CONFIG", docker_config.path())
            .env("SKIFF_CERTS_D", certs_d.path())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        if let Some(s) = stdin {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
        }
        drop(child.stdin.take());
        child.wait_with_output().unwrap()
    };

    // Unknown CA: a clear TLS error, even on loopback (no downgrade to HTTP).
    let out = skiff(&["push", &target], None);
    assert_eq!(out.status.code(), Some(125), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("certificate signed by unknown authority"), "{t}");
    assert!(
        t.contains("ca.crt"),
        "the error should say where the CA goes: {t}"
    );

    // With the CA in certs.d: TLS is fine, but the push is unauthorized,
    // and nothing was uploaded before that was known.
    let dir = certs_d.path().join(&tls);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(ground("SKIFF_TEST_TLS_CA"), dir.join("ca.crt")).unwrap();
    let out = skiff(&["push", &target], None);
    assert_eq!(out.status.code(), Some(125), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("unauthorized"), "{t}");
    assert!(!t.contains("Pushed"), "{t}");
    let storage = ground("SKIFF_TEST_TLS_STORAGE");
    let repo_name = target.split_once('/').unwrap().1.split(':').next().unwrap();
    assert!(
        !Path::new(&storage)
            .join("docker/registry/v2/repositories")
            .join(repo_name)
            .exists(),
        "an unauthorized push left state in the registry"
    );

    // Wrong password: refused, nothing saved.
    let out = skiff(
        &["login", "-u", &user, "--password-stdin", &tls],
        Some("wrong\n"),
    );
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("unauthorized"), "{}", text(&out));
    let config = docker_config.path().join("config.json");
    assert!(!config.exists() || !std::fs::read_to_string(&config).unwrap().contains(&tls));

    let out = skiff(
        &["login", "-u", &user, "--password-stdin", &tls],
        Some(&format!("{password}\n")),
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Login Succeeded"));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&config).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "config.json mode");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&config).unwrap()).unwrap();
    assert!(saved["auths"][&tls]["auth"].is_string(), "{saved}");

    let out = skiff(&["push", &target], None);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Pushed"), "{}", text(&out));

    // Pull it back into a fresh store over TLS with the saved credentials.
    let fresh = Store::new();
    let mut c = fresh.skiff();
    let out = c
        .env("DOCKER_CONFIG", docker_config.path())
        .env("SKIFF_CERTS_D", certs_d.path())
        .args(["pull", &target])
        .output()
        .unwrap();
    assert_success(&out, &["pull", &target]);

    let out = skiff(&["logout", &tls], None);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("Removing login credentials"),
        "{}",
        text(&out)
    );
    assert!(!std::fs::read_to_string(&config).unwrap().contains(&tls));
    // Logged out: unauthorized again.
    let out = skiff(&["push", &target], None);
    assert!(text(&out).contains("unauthorized"), "{}", text(&out));
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn pull_killed_mid_download_leaves_a_usable_store() {
    let big = big_image();
    let store = Store::new();
    let mut child = store
        .skiff()
        .args(["pull", "-q", &big.reference])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the layer is partly on disk, then SIGKILL.
    let tmp = store.root().join("tmp");
    let start = Instant::now();
    let mut partial = false;
    while start.elapsed() < Duration::from_secs(60) {
        let written: u64 = std::fs::read_dir(&tmp)
            .map(|d| {
                d.flatten()
                    .filter_map(|e| e.metadata().ok())
                    .filter(|m| m.is_file())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0);
        if written > 2 << 20 {
            partial = true;
            break;
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(
        partial,
        "the pull finished or stalled before it could be interrupted"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let hex = big.layer.trim_start_matches("sha256:");
    assert!(
        !store.root().join("blobs/sha256").join(hex).exists(),
        "a partial blob is in the store"
    );

    let out = store.ok(&["pull", &big.reference]);
    assert!(out.contains("Pull complete"), "{out}");
    let hex_manifest = big.manifest.trim_start_matches("sha256:");
    assert!(store
        .root()
        .join("blobs/sha256")
        .join(hex_manifest)
        .exists());
    // The unpacked layer has the whole file.
    let snaps: Vec<PathBuf> = std::fs::read_dir(store.root().join("snapshots"))
        .unwrap()
        .flatten()
        .map(|e| e.path().join("big"))
        .filter(|p| p.exists())
        .collect();
    assert_eq!(snaps.len(), 1, "one snapshot holds the big file");
    assert_eq!(std::fs::metadata(&snaps[0]).unwrap().len(), 24 << 20);
    let _ = &big.config;
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn two_concurrent_pulls_both_succeed_with_one_copy() {
    let big = big_image();
    let store = Store::new();
    let spawn = || {
        store
            .skiff()
            .args(["pull", "-q", &big.reference])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out));
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), big.reference);
    }
    let blobs = std::fs::read_dir(store.root().join("blobs/sha256"))
        .unwrap()
        .count();
    assert_eq!(blobs, 3, "manifest, config and layer, once each");
    let snaps = std::fs::read_dir(store.root().join("snapshots"))
        .unwrap()
        .count();
    assert_eq!(snaps, 1);
    let tmp_left = std::fs::read_dir(store.root().join("tmp")).unwrap().count();
    assert_eq!(tmp_left, 0, "temp files left behind");
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn blob_not_matching_its_digest_fails_the_pull_and_leaves_nothing() {
    // A private image whose layer file is then corrupted in the registry's
    // storage (same length, different bytes): the registry serves it as is.
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("rootfs");
    std::fs::create_dir(&root).unwrap();
    sh(&format!(
        "head -c 3M /dev/urandom > {r}/data && tar -C {r} -cf {t}/rootfs.tar .",
        r = root.display(),
        t = tmp.path().display()
    ));
    let reference = format!(
        "{}/{}:latest",
        ground("SKIFF_TEST_REGISTRY"),
        unique("corrupt")
    );
    let made = make_image(&tmp.path().join("rootfs.tar"), &reference);
    let hex = made.layer.trim_start_matches("sha256:");
    let data = PathBuf::from(ground("SKIFF_TEST_GROUND"))
        .join("registry-plain/docker/registry/v2/blobs/sha256")
        .join(&hex[..2])
        .join(hex)
        .join("data");
    // Flip bytes in the middle of the gzip stream.
    let mut bytes = std::fs::read(&data).unwrap();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 64] {
        *b ^= 0xff;
    }
    std::fs::write(&data, &bytes).unwrap();

    let store = Store::new();
    let out = store.run(&["pull", &reference]);
    assert_eq!(out.status.code(), Some(125), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains(&made.layer), "the error names the digest: {t}");
    assert!(
        !store.root().join("blobs/sha256").join(hex).exists(),
        "corrupt blob kept"
    );
    let snaps = std::fs::read_dir(store.root().join("snapshots"))
        .unwrap()
        .count();
    assert_eq!(snaps, 0, "a snapshot of the corrupt layer was kept");
    let tmp_left = std::fs::read_dir(store.root().join("tmp")).unwrap().count();
    assert_eq!(tmp_left, 0, "temp files left behind");
    let images = store.ok(&["images", "-q"]);
    assert!(
        images.trim().is_empty(),
        "an image was registered: {images}"
    );
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn platform_flag_is_checked() {
    let image = ground("SKIFF_TEST_BUSYBOX_IMAGE");
    let store = Store::new();
    let out = store.run(&["pull", "--platform", "linux/", &image]);
    assert_eq!(out.status.code(), Some(125));
    assert!(text(&out).contains("invalid platform"), "{}", text(&out));
}
