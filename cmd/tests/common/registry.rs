//! What the registry tests share: images made outside skiff (mkimage.py
//! and skopeo) in the test ground's registries, and unique names in them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::{ground, Store};

/// Run a shell script that must succeed; returns its trimmed stdout.
pub fn sh(script: &str) -> String {
    let out = Command::new("sh").arg("-c").arg(script).output().unwrap();
    assert!(
        out.status.success(),
        "{script} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `REGISTRY/NAME:TAG` in the test ground's registry, NAME a [`unique`]
/// one starting with `prefix`.
pub fn unique_ref(prefix: &str, tag: &str) -> String {
    format!(
        "{}/{}:{tag}",
        super::ground("SKIFF_TEST_REGISTRY"),
        unique(prefix)
    )
}

/// A name no other test (or earlier run against the same ground) uses.
pub fn unique(prefix: &str) -> String {
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
pub struct Made {
    pub reference: String,
    pub manifest: String,
    pub config: String,
    pub layer: String,
}

/// Build a one-layer image from `rootfs_tar` and copy it with skopeo to
/// `reference` in a plain registry.
pub fn make_image(rootfs_tar: &Path, reference: &str) -> Made {
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

/// A one-layer image in the plain registry, named `<prefix>-<unique>:latest`,
/// whose only file `name` holds `size` (a `head -c` size: 3M, 24M) of random
/// data: incompressible, so its layer is about that big.
pub fn random_data_image(prefix: &str, name: &str, size: &str) -> Made {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("rootfs");
    std::fs::create_dir(&root).unwrap();
    sh(&format!(
        "head -c {size} /dev/urandom > {r}/{name} && tar -C {r} -cf {t}/rootfs.tar .",
        r = root.display(),
        t = tmp.path().display()
    ));
    let reference = format!(
        "{}/{}:latest",
        ground("SKIFF_TEST_REGISTRY"),
        unique(prefix)
    );
    make_image(&tmp.path().join("rootfs.tar"), &reference)
}

/// A 24 MB single-layer image of random data (incompressible, so the
/// download takes long enough to be interrupted), made once per run.
pub fn big_image() -> &'static Made {
    static BIG: OnceLock<Made> = OnceLock::new();
    BIG.get_or_init(|| random_data_image("big", "big", "24M"))
}

/// The sha256 hex of an image's config as skopeo reads it (the image ID).
pub fn sha256_of_config(reference: &str, tls_flag: &str) -> String {
    sh(&format!(
        "skopeo inspect {tls_flag} --raw --config docker://{reference} | sha256sum | cut -d' ' -f1"
    ))
}

/// Pull the ground's busybox image into `store` and tag it for a fresh
/// repository, `<registry>/<unique(prefix)>:<tag>`; returns (image, target).
pub fn busybox_tagged_for(
    store: &Store,
    registry: &str,
    prefix: &str,
    tag: &str,
) -> (String, String) {
    let image = ground("SKIFF_TEST_BUSYBOX_IMAGE");
    store.ok(&["pull", "-q", &image]);
    let target = format!("{registry}/{}:{tag}", unique(prefix));
    store.ok(&["tag", &image, &target]);
    (image, target)
}
