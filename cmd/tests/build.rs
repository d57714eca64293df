//! `skiff build`: the real binary building real Dockerfiles. Tests on
//! `FROM scratch` need nothing else; those on busybox import the test
//! ground's rootfs and are `#[ignore]`d for a bare `cargo test`.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{ground, Store};

fn write(dir: &Path, rel: &str, content: &str) {
    let p = dir.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, content).unwrap();
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `skiff build --progress plain ARGS...` that must succeed; returns stderr
/// (the progress) and stdout.
fn build(store: &Store, args: &[&str]) -> (String, String) {
    let mut all = vec!["build", "--progress", "plain"];
    all.extend_from_slice(args);
    let out = store.run(&all);
    assert!(out.status.success(), "skiff {all:?}: {}", text(&out));
    (
        String::from_utf8_lossy(&out.stderr).into_owned(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn inspect(store: &Store, name: &str) -> serde_json::Value {
    let out = store.ok(&["image", "inspect", name]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v[0].clone()
}

fn image_id(store: &Store, name: &str) -> String {
    inspect(store, name)["Id"].as_str().unwrap().to_string()
}

/// Step lines `#N [stage k/n] ...` and whether each was CACHED.
fn steps(progress: &str) -> Vec<(String, bool)> {
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

fn scratch_context() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let c = d.path();
    write(
        c,
        "Dockerfile",
        "FROM scratch AS assets\nCOPY static/ /static/\n\n\
         FROM scratch\nWORKDIR /app\nCOPY --from=assets /static /www\nCOPY app.conf ./\n\
         COPY --chmod=0600 secret.key /keys/\nENV MODE=prod\nLABEL org.example.x=1\n\
         EXPOSE 8080\nUSER 1000:1000\nHEALTHCHECK --interval=2s CMD [\"/bin/check\"]\n\
         STOPSIGNAL SIGTERM\nSHELL [\"/bin/ash\", \"-c\"]\nONBUILD RUN echo child\nCMD [\"/app/run\"]\n",
    );
    write(c, "static/index.html", "<h1>hi</h1>\n");
    write(c, "static/css/site.css", "body{}\n");
    write(c, "app.conf", "a=1\n");
    write(c, "secret.key", "k\n");
    write(c, "notes.tmp", "ignored\n");
    write(c, ".dockerignore", "*.tmp\n");
    d
}

fn tar_names(path: &Path) -> Vec<String> {
    let out = Command::new("tar").arg("-tf").arg(path).output().unwrap();
    assert!(out.status.success(), "tar -tf: {}", text(&out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim_end_matches('/').to_string())
        .collect()
}

#[test]
fn scratch_build_config_files_cache_and_exporters() {
    let store = Store::new();
    let ctx = scratch_context();
    let c = ctx.path().to_str().unwrap();
    let (progress, _) = build(&store, &["-t", "site:1", c]);
    assert!(!progress.contains("CACHED"), "{progress}");
    let img = inspect(&store, "site:1");
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

#[test]
fn errors_name_the_dockerfile_line() {
    let store = Store::new();
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "Dockerfile",
        "FROM scratch\nCOPY app.conf /\nCOPY missing.txt /\n",
    );
    write(d.path(), "app.conf", "x\n");
    let out = store.run(&["build", "--progress", "plain", d.path().to_str().unwrap()]);
    assert!(!out.status.success(), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Dockerfile:3"), "{err}");
    assert!(err.contains("missing.txt"), "{err}");
    // Several platforms: said clearly.
    let out = store.run(&[
        "buildx",
        "build",
        "--platform",
        "linux/amd64,linux/arm64",
        d.path().to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("multi-platform builds are not supported yet"));
    // buildx create is an idempotent no-op.
    for _ in 0..2 {
        store.ok(&[
            "buildx",
            "create",
            "--use",
            "--name=multiarch",
            "--node=multiarch",
        ]);
    }
}

#[test]
fn dockerfile_from_stdin_and_elsewhere() {
    let store = Store::new();
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "ctx/data.txt", "d\n");
    write(
        d.path(),
        "other/Build.df",
        "FROM scratch\nCOPY data.txt /\n",
    );
    let ctx = d.path().join("ctx");
    build(
        &store,
        &[
            "-f",
            d.path().join("other/Build.df").to_str().unwrap(),
            "-t",
            "f:1",
            ctx.to_str().unwrap(),
        ],
    );
    let mut child = store
        .skiff()
        .args(["build", "-q", "-f", "-", ctx.to_str().unwrap()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"FROM scratch\nCOPY data.txt /x\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
}

// ---- with the test ground: busybox, RUN, registry, podman ----

fn busybox_store() -> Store {
    let store = Store::new();
    store.ok(&["import", &ground("SKIFF_TEST_BUSYBOX_TAR"), "busybox"]);
    store
}

const FUNCTION_DOCKERFILE: &str = "\
FROM busybox AS watchdog
RUN echo '#!/bin/sh' > /fwatchdog && echo 'exec \"$@\"' >> /fwatchdog && chmod 755 /fwatchdog

FROM busybox AS build
ARG ADDITIONAL_PACKAGE
WORKDIR /src
COPY handler/ ./
RUN cat main.txt > /src/handler.bin && chmod 750 /src/handler.bin

FROM busybox
COPY --from=watchdog /fwatchdog /usr/bin/fwatchdog
RUN mkdir -p /home/app && chown user:user /home/app && rm /www/index.html && rm -rf /var && mkdir /var && echo new > /var/only
WORKDIR /home/app
COPY --from=build --chown=user /src/handler.bin ./handler
USER user
EXPOSE 8080
HEALTHCHECK --interval=2s CMD [\"true\"]
ENV fprocess=./handler
CMD [\"fwatchdog\", \"sh\", \"-c\", \"id -u; pwd; cat handler; ls -ln handler\"]
";

fn function_context() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "Dockerfile", FUNCTION_DOCKERFILE);
    write(d.path(), "handler/main.txt", "hello from the handler\n");
    write(d.path(), "handler/debug.log", "must not be copied\n");
    write(d.path(), ".dockerignore", "**/*.log\n");
    d
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn three_stage_function_runs_caches_and_pushes() {
    let store = busybox_store();
    let ctx = function_context();
    let c = ctx.path().to_str().unwrap();
    let (progress, _) = build(
        &store,
        &["--build-arg", "ADDITIONAL_PACKAGE=", "-t", "fn:latest", c],
    );
    assert!(progress.contains("RUN cat main.txt"), "{progress}");
    let img = inspect(&store, "fn:latest");
    assert_eq!(img["Config"]["User"], "user");
    assert_eq!(img["Config"]["WorkingDir"], "/home/app");
    assert!(img["Config"]["Healthcheck"].is_object());

    // skiff run: user, workdir, files, owners, modes.
    let run = store.run(&["run", "--rm", "fn:latest"]);
    assert!(run.status.success(), "{}", text(&run));
    let o = String::from_utf8_lossy(&run.stdout);
    assert!(
        o.contains("1000\n/home/app\nhello from the handler\n"),
        "{o}"
    );
    assert!(o.contains("-rwxr-x---") && o.contains(" 1000 "), "{o}");
    let check = store.run(&[
        "run",
        "--rm",
        "--user",
        "0",
        "fn:latest",
        "sh",
        "-c",
        "test ! -e /www/index.html && ls /var && ls /src 2>&1; ls /home/app",
    ]);
    let o = String::from_utf8_lossy(&check.stdout);
    assert_eq!(o.lines().next(), Some("only"), "{}", text(&check));
    assert!(!o.contains("debug.log"), "{o}");

    // Fully cached rebuild: same ID, every step CACHED.
    let id = image_id(&store, "fn:latest");
    let (progress, _) = build(
        &store,
        &["--build-arg", "ADDITIONAL_PACKAGE=", "-t", "fn:latest", c],
    );
    assert!(
        steps(&progress).iter().all(|(_, cached)| *cached),
        "{progress}"
    );
    assert_eq!(image_id(&store, "fn:latest"), id);

    // Changing the handler reruns the build stage's COPY/RUN and the final
    // COPY --from=build, not the watchdog stage nor the final RUN.
    write(ctx.path(), "handler/main.txt", "changed\n");
    let (progress, _) = build(
        &store,
        &["--build-arg", "ADDITIONAL_PACKAGE=", "-t", "fn:latest", c],
    );
    for (title, cached) in steps(&progress) {
        let reruns = title.contains("COPY handler/")
            || title.contains("RUN cat main.txt")
            || title.contains("--from=build");
        let after = title.contains("USER")
            || title.contains("EXPOSE")
            || title.contains("HEALTHCHECK")
            || title.contains("ENV")
            || title.contains("CMD");
        if reruns || after {
            assert!(!cached, "{title} should rerun\n{progress}");
        } else {
            assert!(cached, "{title} should be cached\n{progress}");
        }
    }

    // Push, then podman pulls and runs it: the deleted file is gone, the
    // replaced directory holds only the new content.
    let target = format!("{}/build-test/fn:latest", ground("SKIFF_TEST_REGISTRY"));
    build(&store, &["-t", &target, "--push", c]);
    let p = tempfile::tempdir().unwrap();
    let conf = p.path().join("containers.conf");
    fs::write(
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
    let ran = podman(&[
        "run",
        "--rm",
        "--network",
        "none",
        "--user",
        "0",
        &target,
        "sh",
        "-c",
        "test ! -e /www/index.html && echo gone; ls /var; cat /home/app/handler",
    ]);
    assert!(ran.status.success(), "podman run: {}", text(&ran));
    assert_eq!(
        String::from_utf8_lossy(&ran.stdout),
        "gone\nonly\nchanged\n"
    );
    let _ = podman(&["rmi", "-a", "-f"]);
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn failing_run_reports_line_and_keeps_earlier_cache() {
    let store = busybox_store();
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "Dockerfile",
        "FROM busybox\nRUN echo one > /one\nRUN echo about to fail && exit 3\n",
    );
    let c = d.path().to_str().unwrap();
    let out = store.run(&["build", "--progress", "plain", c]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Dockerfile:3"), "{err}");
    assert!(err.contains("exit code: 3"), "{err}");
    assert!(err.contains("about to fail"), "{err}");
    // The next build reuses the step before the failure.
    write(
        d.path(),
        "Dockerfile",
        "FROM busybox\nRUN echo one > /one\nRUN cat /one\n",
    );
    let (progress, _) = build(&store, &[c]);
    let s = steps(&progress);
    assert!(s[0].1 && !s[1].1, "{progress}");
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn secrets_cache_mounts_and_docker_archive_for_podman() {
    let store = busybox_store();
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "Dockerfile",
        "FROM busybox\n\
         RUN --mount=type=secret,id=token cat /run/secrets/token > /seen-len && wc -c < /run/secrets/token > /seen-len\n\
         RUN --mount=type=cache,target=/cache echo x >> /cache/runs && wc -l < /cache/runs > /runs\n",
    );
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
    let hist = inspect(&store, "sec:1");
    assert!(!hist.to_string().contains("s3cr3t"));
    assert_eq!(
        fs::read_to_string(layers.join("seen-len")).unwrap().trim(),
        "12"
    );
    // podman loads the docker archive.
    let p = tempfile::tempdir().unwrap();
    let ld = Command::new("podman")
        .arg("--root")
        .arg(p.path().join("root"))
        .arg("--runroot")
        .arg(p.path().join("run"))
        .args(["load", "-i", arch.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(ld.status.success(), "podman load: {}", text(&ld));
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn faas_cli_argv_through_a_docker_link() {
    let store = busybox_store();
    let ctx = function_context();
    let bin = tempfile::tempdir().unwrap();
    let docker: PathBuf = bin.path().join("docker");
    std::os::unix::fs::symlink(common::skiff_bin(), &docker).unwrap();
    let target = format!("{}/faas/fn:latest", ground("SKIFF_TEST_REGISTRY"));
    let run = |args: &[&str]| {
        Command::new(&docker)
            .env("SKIFF_ROOT", store.root())
            .current_dir(ctx.path())
            .args(args)
            .output()
            .unwrap()
    };
    let b = run(&[
        "build",
        "--build-arg",
        "ADDITIONAL_PACKAGE=",
        "--tag",
        &target,
        ".",
    ]);
    assert!(b.status.success(), "docker build: {}", text(&b));
    let p = run(&["push", &target]);
    assert!(p.status.success(), "docker push: {}", text(&p));
    let c = run(&[
        "buildx",
        "create",
        "--use",
        "--name=multiarch",
        "--node=multiarch",
    ]);
    assert!(c.status.success(), "{}", text(&c));
    let bx = run(&[
        "buildx",
        "build",
        "--progress=plain",
        "--platform=linux/amd64",
        "--output=type=registry,push=true",
        "--build-arg",
        "ADDITIONAL_PACKAGE=",
        "--tag",
        &target,
        ".",
    ]);
    assert!(bx.status.success(), "docker buildx build: {}", text(&bx));
}

#[test]
fn builder_prune_empties_the_cache() {
    let store = Store::new();
    let ctx = scratch_context();
    let c = ctx.path().to_str().unwrap();
    build(&store, &["-t", "p:1", c]);
    let (progress, _) = build(&store, &["-t", "p:1", c]);
    assert!(
        steps(&progress).iter().all(|(_, cached)| *cached),
        "{progress}"
    );
    let out = store.ok(&["builder", "prune", "-f", "-a"]);
    assert!(out.contains("Total:"), "{out}");
    let (progress, _) = build(&store, &["-t", "p:1", c]);
    assert!(
        steps(&progress).iter().all(|(_, cached)| !*cached),
        "{progress}"
    );
}

/// A TCP listener on `ip:0` that may be bound before `ip` exists on the
/// host (IP_FREEBIND): a build's bridge, and with it the gateway address,
/// appear only while a RUN container uses it.
fn freebind_listener(ip: std::net::Ipv4Addr) -> std::net::TcpListener {
    use std::os::fd::FromRawFd;
    // SAFETY: plain socket calls on a fresh fd that we own; a zeroed
    // sockaddr_in filled with the family, port 0 and the address.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        assert!(fd >= 0);
        let one: libc::c_int = 1;
        let len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        let opt = &one as *const libc::c_int as *const libc::c_void;
        assert_eq!(
            libc::setsockopt(fd, libc::SOL_IP, libc::IP_FREEBIND, opt, len),
            0
        );
        let mut sa: libc::sockaddr_in = std::mem::zeroed();
        sa.sin_family = libc::AF_INET as libc::sa_family_t;
        sa.sin_addr.s_addr = u32::from(ip).to_be();
        let sl = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        let sp = &sa as *const libc::sockaddr_in as *const libc::sockaddr;
        assert_eq!(libc::bind(fd, sp, sl), 0, "bind {ip}");
        assert_eq!(libc::listen(fd, 16), 0);
        std::net::TcpListener::from_raw_fd(fd)
    }
}

/// Interface names in `ip -o link` output ("2: eth0@if7: <...> ...").
fn link_names(ip_o_link: &str) -> Vec<String> {
    let mut v: Vec<String> = ip_o_link
        .lines()
        .filter_map(|l| l.split(": ").nth(1))
        .map(|n| n.split('@').next().unwrap_or(n).to_string())
        .collect();
    v.sort();
    v
}

/// The host's uplink (the device of its default route) and its MAC.
fn host_uplink() -> (String, String) {
    let routes = fs::read_to_string("/proc/net/route").unwrap();
    let dev = routes
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|f| f.len() > 2 && f[1] == "00000000")
        .map(|f| f[0].to_string())
        .expect("the host has a default route");
    let mac = fs::read_to_string(format!("/sys/class/net/{dev}/address")).unwrap();
    (dev, mac.trim().to_string())
}

/// No network state of `store` is left: endpoints, pinned namespaces, the
/// bridge (it goes with its last user), the store's nftables table.
fn assert_no_network_left(store: &Store, bridge: &str) {
    for sub in ["endpoints", "netns"] {
        let left: Vec<_> = fs::read_dir(store.root().join("networks").join(sub))
            .map(|d| d.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert!(left.is_empty(), "networks/{sub} left: {left:?}");
    }
    assert!(
        !Path::new("/sys/class/net").join(bridge).exists(),
        "bridge {bridge} left after the build"
    );
    let abs = fs::canonicalize(store.root()).unwrap();
    let mut sum = Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    sum.stdin
        .take()
        .unwrap()
        .write_all(abs.as_os_str().as_encoded_bytes())
        .unwrap();
    let hash = String::from_utf8(sum.wait_with_output().unwrap().stdout).unwrap();
    let table = format!("skiff_{}", &hash[..10]);
    let tables = Command::new("nft")
        .args(["list", "tables"])
        .output()
        .unwrap();
    let tables = String::from_utf8_lossy(&tables.stdout);
    assert!(!tables.contains(&table), "nft table {table} left: {tables}");
    let mounts = fs::read_to_string("/proc/self/mountinfo").unwrap();
    let root = store.root().to_string_lossy().into_owned();
    assert!(!mounts.contains(&root), "mounts left under {root}");
}

/// `skiff build` with the test's own bridge and subnet (so tests running in
/// parallel never share one).
fn net_build(store: &Store, bridge: &str, subnet: &str, args: &[&str]) -> Output {
    let mut all = vec!["build", "--progress", "plain"];
    all.extend_from_slice(args);
    store
        .skiff()
        .env("SKIFF_BRIDGE", bridge)
        .env("SKIFF_BRIDGE_SUBNET", subnet)
        .args(&all)
        .output()
        .unwrap()
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn run_networks_default_bridge_none_host() {
    let store = busybox_store();
    let (bridge, subnet) = ("sktb1", "10.207.1.0/24");
    let gw: std::net::Ipv4Addr = "10.207.1.1".parse().unwrap();
    let l = freebind_listener(gw);
    let port = l.local_addr().unwrap().port();
    common::serve_http(l, "from-gw\n");
    let d = tempfile::tempdir().unwrap();
    // Two stages whose RUNs may overlap on the bridge; a RUN that writes
    // /etc/hosts (the runtime's file, which must not reach the layer).
    write(
        d.path(),
        "Dockerfile",
        &format!(
            "FROM busybox AS side\nRUN ip -o -4 addr > /addr-side\n\n\
             FROM busybox\n\
             RUN ip -o -4 addr > /addr-default && ip -o link > /links-default \
             && wget -qO /got http://{gw}:{port}/ && echo '10.9.9.9 extra' >> /etc/hosts \
             && grep -q extra /etc/hosts && test -s /etc/resolv.conf\n\
             RUN --network=none ip -o link > /links-none\n\
             RUN --network=host ip -o link > /links-host\n\
             COPY --from=side /addr-side /\n"
        ),
    );
    let c = d.path().to_str().unwrap();
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("rootfs");
    let o = net_build(
        &store,
        bridge,
        subnet,
        &[
            "-t",
            "netimg",
            "-o",
            &format!("type=local,dest={}", dest.display()),
            c,
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let read = |f: &str| fs::read_to_string(dest.join(f)).unwrap();

    // default: eth0 with an address in the bridge's subnet, and the
    // gateway server reached (outbound through the bridge).
    for f in ["addr-default", "addr-side"] {
        let a = read(f);
        assert!(
            a.contains("eth0") && a.contains("inet 10.207.1."),
            "{f}: {a}"
        );
    }
    assert_eq!(link_names(&read("links-default")), ["eth0", "lo"]);
    assert_eq!(read("got"), "from-gw\n");
    // none: loopback only.
    assert_eq!(link_names(&read("links-none")), ["lo"]);
    // host: the host's uplink, with its own MAC address.
    let (uplink, mac) = host_uplink();
    let host = read("links-host");
    assert!(
        host.lines()
            .any(|l| l.contains(&format!(": {uplink}:")) && l.contains(&mac)),
        "host uplink {uplink} {mac} not seen:\n{host}"
    );
    assert!(!read("links-default").contains(&mac));
    // Nothing the runtime writes for networking is in the image.
    for f in ["etc/hosts", "etc/resolv.conf", "etc/hostname"] {
        assert!(!dest.join(f).exists(), "{f} leaked into the image");
    }
    assert_no_network_left(&store, bridge);

    // The RUN cache key is the same for default and host (as before the
    // bridge network): a host-network rebuild reuses every step.
    let o = net_build(
        &store,
        bridge,
        subnet,
        &["--network", "host", "-t", "netimg", c],
    );
    assert!(o.status.success(), "{}", text(&o));
    let progress = String::from_utf8_lossy(&o.stderr);
    let s = steps(&progress);
    assert!(
        s.iter().filter(|(t, _)| t.contains("RUN")).count() == 4,
        "{progress}"
    );
    assert!(s.iter().all(|(_, cached)| *cached), "{progress}");

    // A build-wide --network none / host changes what a plain RUN gets.
    let d2 = tempfile::tempdir().unwrap();
    write(
        d2.path(),
        "Dockerfile",
        "FROM busybox\nRUN ip -o link > /links\n",
    );
    let c2 = d2.path().to_str().unwrap();
    for (mode, want_uplink) in [("none", false), ("host", true)] {
        let dest2 = out.path().join(mode);
        let o = net_build(
            &store,
            bridge,
            subnet,
            &[
                "--network",
                mode,
                "--no-cache",
                "-o",
                &format!("type=local,dest={}", dest2.display()),
                c2,
            ],
        );
        assert!(o.status.success(), "{mode}: {}", text(&o));
        let links = fs::read_to_string(dest2.join("links")).unwrap();
        assert_eq!(links.contains(&mac), want_uplink, "{mode}: {links}");
        if mode == "none" {
            assert_eq!(link_names(&links), ["lo"]);
        }
    }
    assert_no_network_left(&store, bridge);

    // Modes BuildKit does not know: dockerd's message, exit 125.
    let o = net_build(&store, bridge, subnet, &["--network", "bridge0", c2]);
    assert_eq!(o.status.code(), Some(125), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("network mode \"bridge0\" not supported by buildkit"),
        "{}",
        text(&o)
    );
}
