//! `--cache-to` / `--cache-from`: a build cache exported by one store (to
//! the test registry, an OCI layout directory, or inline in a pushed
//! image) lets a fresh store skip every step, giving the same image; a
//! broken or hostile cache is a warning and a normal build.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::build::steps;
use common::registry::{unique, unique_ref};
use common::*;

/// Fixed timestamps: two stores building the same steps give one digest.
const EPOCH: &str = "1700000000";

/// `skiff build --progress plain ARGS` with SOURCE_DATE_EPOCH set, which
/// must succeed; returns the progress.
fn build(store: &Store, args: &[&str]) -> String {
    build_env(store, &[], args)
}

/// [`build`] with more environment variables.
fn build_env(store: &Store, env: &[(&str, &Path)], args: &[&str]) -> String {
    let mut all = vec!["build", "--progress", "plain"];
    all.extend_from_slice(args);
    let out = store
        .skiff()
        .args(&all)
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(out.status.success(), "skiff {all:?}: {}", text(&out));
    stderr(&out)
}

/// Two stages: `builder`'s RUN leaves a unique stamp the final stage
/// copies; the final stage's RUN leaves one of its own.
fn context() -> tempfile::TempDir {
    let base = ground("SKIFF_TEST_BUSYBOX_IMAGE");
    let d = common::build::dockerfile_context(&format!(
        "FROM {base} AS builder\nRUN date +%s%N > /built\n\
         FROM {base}\nCOPY --from=builder /built /built\nRUN date +%s%N > /stamp\n\
         COPY f /f\nENV X=1\n"
    ));
    write(d.path(), "f", "file\n");
    d
}

/// One stage: what inline cache (mode=min) covers.
fn single_stage_context() -> tempfile::TempDir {
    let base = ground("SKIFF_TEST_BUSYBOX_IMAGE");
    let d = common::build::dockerfile_context(&format!(
        "FROM {base}\nRUN date +%s%N > /stamp\nCOPY f /f\nENV X=1\n"
    ));
    write(d.path(), "f", "file\n");
    d
}

/// A fresh store's build of `ctx` as b:1 with `--cache-from FROM`: the
/// store and the progress.
fn build_from_cache(from: &str, ctx: &str) -> (Store, String) {
    let b = Store::new();
    let progress = build(&b, &["-t", "b:1", "--cache-from", from, ctx]);
    (b, progress)
}

fn id(store: &Store, name: &str) -> String {
    common::build::image_id(store, name)
}

fn cat(store: &Store, image: &str, file: &str) -> String {
    store.ok(&["run", "--rm", "--network", "none", image, "cat", file])
}

/// Every step CACHED, the same image ID, the same RUN side effects. Four
/// steps: ENV makes none (BuildKit's numbering).
fn assert_reused(a: &Store, b: &Store, progress: &str) {
    let s = steps(progress);
    assert_eq!(s.len(), 4, "{progress}");
    assert!(s.iter().all(|(_, cached)| *cached), "{progress}");
    assert_eq!(id(a, "a:1"), id(b, "b:1"));
    assert_eq!(cat(a, "a:1", "/stamp"), cat(b, "b:1", "/stamp"));
    assert_eq!(cat(a, "a:1", "/built"), cat(b, "b:1", "/built"));
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn registry_cache_lets_a_fresh_store_skip_every_step() {
    let ctx = context();
    let c = ctx.path().to_str().unwrap();
    let cache = unique_ref("cache", "x");
    let a = Store::new();
    let to = format!("type=registry,ref={cache},mode=max");
    let p = build(&a, &["-t", "a:1", "--cache-to", &to, c]);
    assert!(p.contains("exporting cache to registry"), "{p}");
    assert!(p.contains("writing cache manifest sha256:"), "{p}");

    let (b, p) = build_from_cache(&format!("type=registry,ref={cache}"), c);
    assert!(
        p.contains(&format!("importing cache manifest from {cache}")),
        "{p}"
    );
    assert_reused(&a, &b, &p);
    // The imported records are now B's own cache: no import needed.
    let p = build(&b, &["-t", "b:1", c]);
    assert!(common::build::all_cached(&p), "{p}");
}

/// A fresh store that built [`context`] as a:1, its cache (mode=max)
/// exported to the OCI layout `dest`, in the temp dir `dir`.
struct LocalCache {
    ctx: tempfile::TempDir,
    dir: tempfile::TempDir,
    dest: PathBuf,
    store: Store,
    progress: String,
}

impl LocalCache {
    fn build() -> LocalCache {
        let ctx = context();
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("cache");
        let store = Store::new();
        let to = format!("type=local,dest={},mode=max", dest.display());
        let c = ctx.path().to_str().unwrap();
        let progress = build(&store, &["-t", "a:1", "--cache-to", &to, c]);
        LocalCache {
            ctx,
            dir,
            dest,
            store,
            progress,
        }
    }

    /// The build context, as a build argument.
    fn context(&self) -> &str {
        self.ctx.path().to_str().unwrap()
    }
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn registry_cache_uses_the_registrys_tls_and_login() {
    let ctx = single_stage_context();
    let c = ctx.path().to_str().unwrap();
    let tls = ground("SKIFF_TEST_TLS_REGISTRY");
    let cache = format!("{tls}/{}:x", unique("cache"));
    let certs_d = tempfile::tempdir().unwrap();
    let dir = certs_d.path().join(&tls);
    fs::create_dir_all(&dir).unwrap();
    fs::copy(ground("SKIFF_TEST_TLS_CA"), dir.join("ca.crt")).unwrap();
    let logged_in = tempfile::tempdir().unwrap();
    let a = Store::new();
    let mut login = a
        .skiff()
        .env("DOCKER_CONFIG", logged_in.path())
        .env("SKIFF_CERTS_D", certs_d.path())
        .args([
            "login",
            "-u",
            &ground("SKIFF_TEST_TLS_USER"),
            "--password-stdin",
            &tls,
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    let password = ground("SKIFF_TEST_TLS_PASSWORD");
    let mut stdin = login.stdin.take().unwrap();
    writeln!(stdin, "{password}").unwrap();
    drop(stdin);
    let out = login.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));

    let env = [
        ("DOCKER_CONFIG", logged_in.path()),
        ("SKIFF_CERTS_D", certs_d.path()),
    ];
    let to = format!("type=registry,ref={cache}");
    build_env(&a, &env, &["-t", "a:1", "--cache-to", &to, c]);
    let b = Store::new();
    let from = format!("type=registry,ref={cache}");
    let p = build_env(&b, &env, &["-t", "b:1", "--cache-from", &from, c]);
    assert!(common::build::all_cached(&p), "{p}");
    assert_eq!(id(&a, "a:1"), id(&b, "b:1"));

    // Without the credentials: a warning naming the ref, a normal build.
    let anonymous = tempfile::tempdir().unwrap();
    let env = [
        ("DOCKER_CONFIG", anonymous.path()),
        ("SKIFF_CERTS_D", certs_d.path()),
    ];
    let p = build_env(&Store::new(), &env, &["--cache-from", &from, c]);
    assert!(
        p.contains(&format!("WARNING: failed to import cache from {cache}")),
        "{p}"
    );
    assert!(p.contains("unauthorized"), "{p}");
    assert!(common::build::none_cached(&p), "{p}");
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn local_cache_directory_is_an_oci_layout_a_fresh_store_reuses() {
    let local = LocalCache::build();
    let (c, dest, p) = (local.context(), &local.dest, &local.progress);
    assert!(p.contains("exporting cache to client directory"), "{p}");
    // An OCI layout others can read: skopeo finds the manifest by its tag.
    let raw = common::registry::sh(&format!(
        "skopeo inspect --raw oci:{}:latest",
        dest.display()
    ));
    assert!(
        raw.contains("application/vnd.skiff.buildcache.config.v1+json"),
        "{raw}"
    );

    let (b, p) = build_from_cache(&format!("type=local,src={}", dest.display()), c);
    assert_reused(&local.store, &b, &p);
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn local_cache_export_keeps_other_tags_and_refuses_a_foreign_index() {
    let ctx = single_stage_context();
    let c = ctx.path().to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("cache");
    let s = Store::new();
    for tag in ["one", "two"] {
        let to = format!("type=local,dest={},tag={tag}", dest.display());
        build(&s, &["--cache-to", &to, c]);
    }
    let index = fs::read_to_string(dest.join("index.json")).unwrap();
    assert!(
        index.contains("\"one\"") && index.contains("\"two\""),
        "{index}"
    );

    // An index.json that is not an OCI index is not ours to overwrite.
    fs::write(dest.join("index.json"), "not json").unwrap();
    let to = format!("type=local,dest={}", dest.display());
    let out = s.run(&["build", "--cache-to", &to, c]);
    assert_fails(&out, 125, &["index.json is not an OCI index"]);
    assert_eq!(
        fs::read_to_string(dest.join("index.json")).unwrap(),
        "not json"
    );
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn inline_cache_in_a_pushed_image_is_reused_from_its_ref() {
    let ctx = single_stage_context();
    let c = ctx.path().to_str().unwrap();
    let image = unique_ref("inline", "1");
    let a = Store::new();
    build(
        &a,
        &["-t", &image, "--cache-to", "type=inline", "--push", c],
    );

    let b = Store::new();
    let from = format!("type=registry,ref={image}");
    let args = [
        "-t",
        "b:1",
        "--cache-to",
        "type=inline",
        "--cache-from",
        &from,
        c,
    ];
    let p = build(&b, &args);
    let s = steps(&p);
    assert_eq!(s.len(), 2, "{p}");
    assert!(s.iter().all(|(_, cached)| *cached), "{p}");
    assert_eq!(id(&a, &image), id(&b, "b:1"));
    assert_eq!(cat(&a, &image, "/stamp"), cat(&b, "b:1", "/stamp"));
    // Without the inline metadata, the image is a plain one: nothing hits.
    let plain = unique_ref("plain", "1");
    build(&a, &["-t", &plain, "--push", c]);
    let (_, p) = build_from_cache(&format!("type=registry,ref={plain}"), c);
    assert!(p.contains("holds no skiff build cache"), "{p}");
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn mode_min_exports_the_final_stage_only_and_max_every_stage() {
    // The builder's output is the same each time it runs, so the final
    // stage's COPY --from (keyed by the copied content) hits either way.
    let base = ground("SKIFF_TEST_BUSYBOX_IMAGE");
    let ctx = common::build::dockerfile_context(&format!(
        "FROM {base} AS builder\nRUN echo built > /built\n\
         FROM {base}\nCOPY --from=builder /built /built\nRUN cat /built > /copy\n"
    ));
    let c = ctx.path().to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let a = Store::new();
    for mode in ["min", "max"] {
        let to = format!(
            "type=local,dest={},mode={mode}",
            dir.path().join(mode).display()
        );
        build(&a, &["-t", "a:1", "--cache-to", &to, c]);
    }
    let builder_cached = |mode: &str| {
        let from = format!("type=local,src={}", dir.path().join(mode).display());
        let (_, p) = build_from_cache(&from, c);
        let s = steps(&p);
        assert_eq!(s.len(), 3, "{p}");
        // The final stage's own steps come from the cache either way.
        for (title, cached) in &s {
            assert!(*cached || title.starts_with("[builder "), "{p}");
        }
        // Stages run concurrently: find the builder's step by its title.
        let builder = s.iter().find(|(t, _)| t.starts_with("[builder 2/2]"));
        builder.expect("the builder's RUN").1
    };
    assert!(!builder_cached("min"));
    assert!(builder_cached("max"));
}

/// The one manifest of a local cache layout and its bytes.
fn layout_manifest(dir: &Path) -> (String, serde_json::Value) {
    let index: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("index.json")).unwrap()).unwrap();
    let digest = index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let m = fs::read(blob(dir, &digest)).unwrap();
    (digest, serde_json::from_slice(&m).unwrap())
}

fn blob(dir: &Path, digest: &str) -> std::path::PathBuf {
    dir.join("blobs/sha256")
        .join(digest.trim_start_matches("sha256:"))
}

/// The cache config of manifest `m` and the key of the `COPY f /f` record.
fn copy_f_record(dir: &Path, m: &serde_json::Value) -> (serde_json::Value, String) {
    let digest = m["config"]["digest"].as_str().unwrap();
    let cfg: serde_json::Value =
        serde_json::from_slice(&fs::read(blob(dir, digest)).unwrap()).unwrap();
    let key = cfg["records"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, r)| {
            let h = r["config"]["history"].as_array().unwrap();
            let by = h.last().unwrap()["created_by"].as_str().unwrap();
            by.starts_with("COPY f /f")
        })
        .unwrap()
        .0
        .clone();
    (cfg, key)
}

/// Replace the layout's manifest with `m` (index.json re-pointed).
fn put_manifest(dir: &Path, m: &serde_json::Value) {
    let bytes = serde_json::to_vec(m).unwrap();
    let digest = format!("sha256:{}", sha256_hex(&bytes));
    fs::write(blob(dir, &digest), &bytes).unwrap();
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": digest, "size": bytes.len(),
        "annotations": {"org.opencontainers.image.ref.name": "latest"}}]});
    fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn broken_or_hostile_cache_warns_and_builds_normally() {
    let local = LocalCache::build();
    let (c, dir, good, a) = (local.context(), &local.dir, &local.dest, &local.store);

    let copy = |name: &str| {
        let d = dir.path().join(name);
        common::registry::sh(&format!("cp -a {} {}", good.display(), d.display()));
        d
    };
    // Built normally (nothing CACHED), with a warning naming the source.
    let fresh_build = |src: &Path, says: &str| {
        let (b, p) = build_from_cache(&format!("type=local,src={}", src.display()), c);
        assert!(p.contains("WARNING"), "{p}");
        assert!(p.contains(&src.display().to_string()), "{p}");
        assert!(p.contains(says), "{says}: {p}");
        (b, p)
    };

    // A blob that is a symlink out of the cache directory (to the right
    // bytes, elsewhere): read inside the directory only, so refused.
    let d = copy("symlink-out");
    let (_, m) = layout_manifest(&d);
    let cfg = blob(&d, m["config"]["digest"].as_str().unwrap());
    let outside = blob(good, m["config"]["digest"].as_str().unwrap());
    fs::remove_file(&cfg).unwrap();
    std::os::unix::fs::symlink(&outside, &cfg).unwrap();
    let (_, p) = fresh_build(&d, "No such file");
    assert!(!p.contains("CACHED"), "{p}");

    // A config blob whose bytes are not its digest's.
    let d = copy("wrong-digest");
    let (_, m) = layout_manifest(&d);
    let cfg = blob(&d, m["config"]["digest"].as_str().unwrap());
    let mut bytes = fs::read(&cfg).unwrap();
    bytes[0] ^= 1;
    fs::write(&cfg, bytes).unwrap();
    let (_, p) = fresh_build(&d, "does not match digest");
    assert!(common::build::none_cached(&p), "{p}");

    // A config the manifest says is 1 GiB.
    let d = copy("oversized");
    let (_, mut m) = layout_manifest(&d);
    m["config"]["size"] = serde_json::json!(1u64 << 30);
    put_manifest(&d, &m);
    let (_, p) = fresh_build(&d, "larger than");
    assert!(common::build::none_cached(&p), "{p}");

    // A record naming a layer the manifest does not list.
    let d = copy("unlisted-layer");
    let (_, mut m) = layout_manifest(&d);
    m["layers"].as_array_mut().unwrap().pop();
    put_manifest(&d, &m);
    let (_, p) = fresh_build(&d, "is not in the manifest");
    assert!(common::build::none_cached(&p), "{p}");

    // The record of `COPY f /f` names another layer of the cache (listed,
    // digest right): its content is not the record's diff ID, so the step
    // runs.
    let d = copy("swapped-layer");
    let (_, mut m) = layout_manifest(&d);
    let (mut cfg, key) = copy_f_record(&d, &m);
    let other = m["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["digest"] != cfg["records"][&key]["layer"]["digest"])
        .unwrap()
        .clone();
    cfg["records"][&key]["layer"]["digest"] = other["digest"].clone();
    cfg["records"][&key]["layer"]["size"] = other["size"].clone();
    let bytes = serde_json::to_vec(&cfg).unwrap();
    let digest = format!("sha256:{}", sha256_hex(&bytes));
    fs::write(blob(&d, &digest), &bytes).unwrap();
    m["config"]["digest"] = serde_json::json!(digest);
    m["config"]["size"] = serde_json::json!(bytes.len());
    put_manifest(&d, &m);
    let (_, p) = fresh_build(&d, "not used");
    for (title, cached) in steps(&p) {
        assert_eq!(cached, !title.contains("COPY f /f"), "{title}\n{p}");
    }

    // The layer blob of `COPY f /f` gone from the layout: that step runs
    // (making the same layer), the others hit, and the image is whole.
    let d = copy("missing-blob");
    let (_, m) = layout_manifest(&d);
    let (cfg, key) = copy_f_record(&d, &m);
    let gone = cfg["records"][&key]["layer"]["digest"].as_str().unwrap();
    fs::remove_file(blob(&d, gone)).unwrap();
    let (b, p) = fresh_build(&d, "not used");
    for (title, cached) in steps(&p) {
        assert_eq!(cached, !title.contains("COPY f /f"), "{title}\n{p}");
    }
    assert_eq!(id(a, "a:1"), id(&b, "b:1"));
    assert_eq!(cat(&b, "b:1", "/f"), "file\n");

    // No cache at that ref at all, or an image without one.
    let b = Store::new();
    let missing = unique_ref("nocache", "x");
    let busybox = ground("SKIFF_TEST_BUSYBOX_IMAGE");
    for (r, says) in [
        (&missing, "manifest unknown"),
        (&busybox, "holds no skiff build cache"),
    ] {
        let from = format!("type=registry,ref={r}");
        let p = build(&b, &["-t", "b:1", "--cache-from", &from, "--no-cache", c]);
        assert!(
            p.contains(&format!("WARNING: failed to import cache from {r}")),
            "{p}"
        );
        assert!(p.contains(says), "{says}: {p}");
    }
}

#[test]
fn cache_flag_values_are_checked() {
    let store = Store::new();
    let d = common::build::dockerfile_context("FROM scratch\n");
    let c = d.path().to_str().unwrap();
    for (flag, value, says) in [
        ("--cache-to", "type=registry", "ref= is required"),
        (
            "--cache-to",
            "type=registry,ref=r/c,mode=all",
            "mode \"all\"",
        ),
        (
            "--cache-to",
            "type=inline,mode=max",
            "only supports mode=min",
        ),
        (
            "--cache-from",
            "type=local,dest=/x",
            "unknown attribute \"dest\"",
        ),
        ("--cache-from", "type=gha", "not supported"),
    ] {
        let out = store.run(&["build", flag, value, c]);
        assert_fails(&out, 125, &[flag, says]);
    }
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn multi_platform_inline_cache_is_read_from_every_platform_of_the_index() {
    // No RUN: no emulator needed for the foreign platform.
    let ctx = common::build::dockerfile_context(
        "FROM scratch\nARG TARGETARCH\nCOPY f /f\nCOPY f /f-$TARGETARCH\nENV X=1\n",
    );
    write(ctx.path(), "f", "file\n");
    let c = ctx.path().to_str().unwrap();
    let image = unique_ref("multi", "1");
    let platforms = "linux/amd64,linux/arm64";
    let a = Store::new();
    let args = ["--platform", platforms, "--cache-to", "type=inline"];
    build(&a, &[&args[..], &["-t", &image, "--push", c]].concat());

    let b = Store::new();
    let from = format!("type=registry,ref={image}");
    let p = build(
        &b,
        &[&args[..], &["-t", "b:1", "--cache-from", &from, c]].concat(),
    );
    // Two COPYs for each platform (ARG and ENV make no step).
    let s = steps(&p);
    assert_eq!(s.len(), 4, "{p}");
    assert!(s.iter().all(|(_, cached)| *cached), "{p}");
    assert_eq!(id(&a, &image), id(&b, "b:1"));
}
