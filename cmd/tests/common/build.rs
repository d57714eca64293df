//! What the `skiff build` tests share: running a build with plain
//! progress, reading which steps were CACHED, and build contexts.

use std::path::Path;
use std::process::Command;

use super::{assert_fails, busybox_store, inspect_json, text, write, Store};

/// `skiff build --progress plain ARGS...` that must succeed; returns stderr
/// (the progress) and stdout.
pub fn build(store: &Store, args: &[&str]) -> (String, String) {
    let mut all = vec!["build", "--progress", "plain"];
    all.extend_from_slice(args);
    let out = store.run(&all);
    assert!(out.status.success(), "skiff {all:?}: {}", text(&out));
    (
        String::from_utf8_lossy(&out.stderr).into_owned(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// [`build`] with `-o type=local,dest=DIR`, DIR a new temp dir, then
/// `args` and the context `ctx`; returns DIR (the final stage's files) and
/// the progress.
pub fn build_to_dir(store: &Store, args: &[&str], ctx: &Path) -> (tempfile::TempDir, String) {
    let out = tempfile::tempdir().unwrap();
    let dest = format!("type=local,dest={}", out.path().display());
    let mut all = vec!["-o", dest.as_str()];
    all.extend_from_slice(args);
    all.push(ctx.to_str().unwrap());
    let (progress, _) = build(store, &all);
    (out, progress)
}

/// `skiff build --progress plain CTX` with `env` set, which must fail as a
/// build error does (exit 1), its stderr saying each of `says`.
pub fn build_fails(store: &Store, ctx: &Path, env: &[(&str, &str)], says: &[&str]) {
    let out = store
        .skiff()
        .args(["build", "--progress", "plain", ctx.to_str().unwrap()])
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert_fails(&out, 1, says);
}

pub fn image_id(store: &Store, name: &str) -> String {
    inspect_json(store, name)["Id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Step lines `#N [stage k/n] ...` and whether each was CACHED.
pub fn steps(progress: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for line in progress.lines() {
        let Some(rest) = line.strip_prefix('#') else {
            continue;
        };
        let Some((id, what)) = rest.split_once(' ') else {
            continue;
        };
        if what.starts_with('[') && !what.starts_with("[internal]") && !what.contains(" FROM ") {
            let cached = progress.lines().any(|l| l == format!("#{id} CACHED"));
            out.push((what.to_string(), cached));
        }
    }
    out
}

/// True when every step of the build was CACHED.
pub fn all_cached(progress: &str) -> bool {
    let s = steps(progress);
    !s.is_empty() && s.iter().all(|(_, cached)| *cached)
}

/// Whether `progress` ran steps and none was CACHED (false when it shows no
/// step at all, so a changed progress format cannot pass for a rebuild).
pub fn none_cached(progress: &str) -> bool {
    let s = steps(progress);
    !s.is_empty() && s.iter().all(|(_, cached)| !cached)
}

/// A build context holding only `Dockerfile` with `body`.
pub fn dockerfile_context(body: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "Dockerfile", body);
    d
}

/// A store with busybox imported ([`busybox_store`]) and a build context
/// of `dockerfile` ([`dockerfile_context`]): where a test of a RUN starts.
pub fn busybox_and_context(dockerfile: &str) -> (Store, tempfile::TempDir) {
    (busybox_store(), dockerfile_context(dockerfile))
}

/// A two-stage `FROM scratch` context using most instructions, with a
/// .dockerignore'd file.
pub fn scratch_context() -> tempfile::TempDir {
    let d = dockerfile_context(
        "FROM scratch AS assets\nCOPY static/ /static/\n\n\
         FROM scratch\nWORKDIR /app\nCOPY --from=assets /static /www\nCOPY app.conf ./\n\
         COPY --chmod=0600 secret.key /keys/\nENV MODE=prod\nLABEL org.example.x=1\n\
         EXPOSE 8080\nUSER 1000:1000\nHEALTHCHECK --interval=2s CMD [\"/bin/check\"]\n\
         STOPSIGNAL SIGTERM\nSHELL [\"/bin/ash\", \"-c\"]\nONBUILD RUN echo child\nCMD [\"/app/run\"]\n",
    );
    let c = d.path();
    write(c, "static/index.html", "<h1>hi</h1>\n");
    write(c, "static/css/site.css", "body{}\n");
    write(c, "app.conf", "a=1\n");
    write(c, "secret.key", "k\n");
    write(c, "notes.tmp", "ignored\n");
    write(c, ".dockerignore", "*.tmp\n");
    d
}

/// Names in a tar, without a trailing `/` on directories.
pub fn tar_names(path: &Path) -> Vec<String> {
    let out = Command::new("tar").arg("-tf").arg(path).output().unwrap();
    assert!(out.status.success(), "tar -tf: {}", text(&out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim_end_matches('/').to_string())
        .collect()
}
