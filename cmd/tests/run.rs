//! `skiff run` and the container lifecycle against real containers (root,
//! the test ground's busybox image). Each test uses its own store.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::*;

/// The busybox image args: `busybox` once imported into the store. Until
/// `skiff import` exists in this tree, fall back to podman's `--rootfs`
/// form over the same tar (only on "not implemented yet", so an import
/// that breaks is still a failure).
fn busybox(store: &Store) -> Vec<String> {
    let cache = store.root().join(".busybox-args");
    if let Ok(a) = std::fs::read_to_string(&cache) {
        return a.lines().map(str::to_string).collect();
    }
    let args = import_busybox(store);
    std::fs::write(&cache, args.join("\n")).unwrap();
    args
}

fn import_busybox(store: &Store) -> Vec<String> {
    let tar = ground("SKIFF_TEST_BUSYBOX_TAR");
    let out = store.run(&["import", &tar, "busybox"]);
    if out.status.success() {
        return vec!["busybox".into()];
    }
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not implemented yet"), "import failed: {err}");
    let dir = store.root().join("busybox-rootfs");
    std::fs::create_dir_all(&dir).unwrap();
    let st = Command::new("tar")
        .arg("-C")
        .arg(&dir)
        .arg("-xf")
        .arg(&tar)
        .status()
        .unwrap();
    assert!(st.success());
    vec!["--rootfs".into(), dir.to_string_lossy().into_owned()]
}

/// `skiff run --rm FLAGS IMAGE CMD...`
fn run(store: &Store, flags: &[&str], cmd: &[&str]) -> Output {
    let img = busybox(store);
    let mut args: Vec<&str> = vec!["run", "--rm"];
    args.extend_from_slice(flags);
    args.extend(img.iter().map(String::as_str));
    args.extend_from_slice(cmd);
    store.run(&args)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Nothing of the container may remain: no mount under the store, no
/// cgroup, no state directory.
fn assert_no_leftovers(store: &Store, id: &str) {
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let root = store.root().to_string_lossy().into_owned();
    let leaked: Vec<&str> = mounts.lines().filter(|l| l.contains(&root)).collect();
    assert!(leaked.is_empty(), "mounts left behind: {leaked:?}");
    for entry in std::fs::read_dir("/sys/fs/cgroup").unwrap().flatten() {
        let p = entry.path().join("skiff").join(id);
        assert!(!p.exists(), "cgroup left behind: {}", p.display());
    }
    assert!(!Path::new("/sys/fs/cgroup/skiff").join(id).exists());
    assert!(
        !store.root().join("containers").join(id).exists(),
        "state dir left"
    );
    assert!(
        !store.root().join("lc").join(id).exists(),
        "libcontainer state left"
    );
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn echo_hi_and_exit_codes() {
    let s = Store::new();
    let o = run(&s, &[], &["echo", "hi"]);
    assert_success(&o, &["run echo hi"]);
    assert_eq!(stdout(&o), "hi\n");
    assert_eq!(run(&s, &[], &["sh", "-c", "exit 3"]).status.code(), Some(3));
    let o = run(&s, &[], &["no-such-command"]);
    assert_eq!(o.status.code(), Some(127), "{}", stderr(&o));
    assert!(stderr(&o).contains("executable file not found"));
    assert_eq!(run(&s, &[], &["/etc"]).status.code(), Some(126));
    // Flags after the image belong to the command.
    let o = run(&s, &[], &["ls", "-d", "/etc"]);
    assert_eq!(stdout(&o), "/etc\n");
    // A skiff error is 125.
    assert_eq!(
        s.run(&["run", "--rm", "--memory", "lots", "busybox", "true"])
            .status
            .code(),
        Some(125)
    );
    assert_eq!(
        // So is an invalid port spec.
        s.run(&["run", "--rm", "-p", "80:80/bogus", "busybox", "true"])
            .status
            .code(),
        Some(125)
    );
    // --rm left nothing behind.
    let left: Vec<_> = std::fs::read_dir(s.root().join("containers"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().len() == 64)
        .collect();
    assert!(left.is_empty());
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(!mounts.contains(&*s.root().to_string_lossy()));
}

/// The same command under skiff and podman (podman's `--rootfs` over the
/// same tree) must print the same thing.
fn same_as_podman(s: &Store, flags: &[&str], cmd: &[&str]) {
    let ours = run(s, flags, cmd);
    assert_success(&ours, cmd);
    let dir = s.root().join("podman-rootfs");
    if !dir.exists() {
        std::fs::create_dir_all(&dir).unwrap();
        let tar = ground("SKIFF_TEST_BUSYBOX_TAR");
        assert!(Command::new("tar")
            .arg("-C")
            .arg(&dir)
            .arg("-xf")
            .arg(&tar)
            .status()
            .unwrap()
            .success());
    }
    let conf = s.root().join("containers.conf");
    std::fs::write(
        &conf,
        "[containers]\ndefault_ulimits = [\"nofile=1024:1024\",\"nproc=1024:1024\"]\n[engine]\nruntime = \"runc\"\ncgroup_manager = \"cgroupfs\"\n",
    )
    .unwrap();
    let mut args: Vec<String> = vec!["run".into(), "--rm".into()];
    args.extend(flags.iter().map(|f| f.to_string()));
    args.push("--rootfs".into());
    args.push(dir.to_string_lossy().into_owned());
    args.extend(cmd.iter().map(|c| c.to_string()));
    let theirs = Command::new("podman")
        .env("CONTAINERS_CONF", &conf)
        .args(&args)
        .output()
        .unwrap();
    assert!(
        theirs.status.success(),
        "podman {args:?}: {}",
        stderr(&theirs)
    );
    assert_eq!(
        stdout(&ours),
        stdout(&theirs),
        "skiff and podman differ for {flags:?} {cmd:?}"
    );
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn env_workdir_user_entrypoint_match_podman() {
    let s = Store::new();
    let envf = s.root().join("env.list");
    std::fs::write(&envf, "# comment\nFROM_FILE=yes\nA=from-file\n").unwrap();
    let envf = envf.to_string_lossy().into_owned();
    same_as_podman(
        &s,
        &["-e", "A=B", "--env-file", &envf],
        &["sh", "-c", "echo $A $FROM_FILE $PATH"],
    );
    same_as_podman(&s, &["-w", "/tmp"], &["pwd"]);
    same_as_podman(&s, &["-u", "1000:1000"], &["id"]);
    same_as_podman(&s, &["-u", "nobody"], &["id"]);
    same_as_podman(&s, &["-u", "user"], &["sh", "-c", "id; echo $HOME"]);
    same_as_podman(&s, &["--entrypoint", "echo"], &["a", "b"]);
    // -w creates a missing directory, as docker does.
    assert_eq!(
        stdout(&run(&s, &["-w", "/new/dir"], &["pwd"])),
        "/new/dir\n"
    );
    let o = run(&s, &["-u", "ghost"], &["id"]);
    assert_eq!(o.status.code(), Some(125));
    assert!(stderr(&o).contains("unable to find user ghost"));
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn namespaces_hostname_and_etc_files() {
    let s = Store::new();
    let o = run(&s, &["--hostname", "box1", "--add-host", "db:10.1.2.3"], &[
        "sh",
        "-c",
        "echo $$; hostname; cat /etc/hostname; grep -w db /etc/hosts; ps -o pid | wc -l; df -k /dev/shm | tail -1",
    ]);
    assert_success(&o, &["namespaces"]);
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "1", "the container has its own PID namespace");
    assert_eq!(lines[1], "box1");
    assert_eq!(lines[2], "box1");
    assert!(lines[3].starts_with("10.1.2.3"));
    // ps header + sh + ps (+ wc): only the container's own processes.
    assert!(lines[4].trim().parse::<u32>().unwrap() <= 4, "{out}");
    assert!(lines[5].contains("65536"), "/dev/shm is 64 MiB: {out}");
    // Default hostname: the short id; --network none has only loopback.
    let o = run(
        &s,
        &["--network", "none"],
        &["sh", "-c", "ls /sys/class/net; hostname | wc -c"],
    );
    assert_eq!(stdout(&o), "lo\n13\n");
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn security_defaults_and_seccomp() {
    let s = Store::new();
    // docker's default capability set and an active filter.
    let o = run(
        &s,
        &[],
        &[
            "sh",
            "-c",
            "grep -E '^(CapBnd|CapEff|Seccomp):' /proc/self/status",
        ],
    );
    let out = stdout(&o);
    assert!(out.contains("CapBnd:\t00000000a80425fb"), "{out}");
    assert!(out.contains("CapEff:\t00000000a80425fb"), "{out}");
    assert!(out.contains("Seccomp:\t2"), "{out}");
    // unshare(CLONE_NEWUSER) needs no capability: only seccomp stops it.
    assert_ne!(
        run(&s, &[], &["unshare", "-U", "true"]).status.code(),
        Some(0)
    );
    assert_eq!(
        run(
            &s,
            &["--security-opt", "seccomp=unconfined"],
            &["unshare", "-U", "true"]
        )
        .status
        .code(),
        Some(0)
    );
    assert_eq!(
        run(&s, &["--privileged"], &["unshare", "-U", "true"])
            .status
            .code(),
        Some(0)
    );
    // mount: refused by default, allowed when privileged.
    assert_ne!(
        run(&s, &[], &["sh", "-c", "mkdir -p /m && mount -t tmpfs t /m"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        run(
            &s,
            &["--privileged"],
            &["sh", "-c", "mkdir -p /m && mount -t tmpfs t /m"]
        )
        .status
        .code(),
        Some(0)
    );
    // Masked and read-only /proc paths.
    assert_ne!(
        run(
            &s,
            &[],
            &["sh", "-c", "echo x > /proc/sys/kernel/domainname"]
        )
        .status
        .code(),
        Some(0)
    );
    let o = run(&s, &[], &["sh", "-c", "cat /proc/timer_list | wc -c"]);
    assert_eq!(stdout(&o).trim(), "0", "masked path shows nothing");
    // --cap-drop / --cap-add and no-new-privileges.
    let o = run(
        &s,
        &["--cap-drop", "ALL", "--cap-add", "chown"],
        &["sh", "-c", "grep CapEff /proc/self/status"],
    );
    assert!(stdout(&o).contains("0000000000000001"), "{}", stdout(&o));
    let o = run(
        &s,
        &["--security-opt", "no-new-privileges"],
        &["sh", "-c", "grep NoNewPrivs /proc/self/status"],
    );
    assert!(stdout(&o).contains("1"));
    let o = run(&s, &[], &["sh", "-c", "grep NoNewPrivs /proc/self/status"]);
    assert!(
        stdout(&o).contains("0"),
        "docker does not set no_new_privs by default"
    );
    // A user profile that denies mkdir.
    let prof = s.root().join("deny-mkdir.json");
    std::fs::write(&prof, r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}"#).unwrap();
    let opt = format!("seccomp={}", prof.display());
    assert_ne!(
        run(&s, &["--security-opt", &opt], &["mkdir", "/x"])
            .status
            .code(),
        Some(0)
    );
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn binds_volumes_tmpfs_read_only() {
    let s = Store::new();
    let host = s.root().join("data");
    std::fs::create_dir_all(&host).unwrap();
    let bind = format!("{}:/data", host.display());
    assert_success(
        &run(&s, &["-v", &bind], &["sh", "-c", "echo written > /data/f"]),
        &["-v"],
    );
    assert_eq!(
        std::fs::read_to_string(host.join("f")).unwrap(),
        "written\n"
    );
    let ro = format!("{}:/data:ro", host.display());
    assert_ne!(
        run(&s, &["-v", &ro], &["sh", "-c", "echo x > /data/g"])
            .status
            .code(),
        Some(0)
    );
    assert!(!host.join("g").exists());
    assert_ne!(
        run(&s, &["--read-only"], &["touch", "/file"]).status.code(),
        Some(0)
    );
    assert_eq!(
        run(
            &s,
            &["--read-only", "--tmpfs", "/run"],
            &["touch", "/run/file"]
        )
        .status
        .code(),
        Some(0)
    );
    let m = format!("type=bind,source={},target=/m,readonly", host.display());
    assert_eq!(
        stdout(&run(&s, &["--mount", &m], &["cat", "/m/f"])),
        "written\n"
    );
    // Named volumes persist across containers.
    assert_success(
        &run(&s, &["-v", "vol1:/v"], &["sh", "-c", "echo kept > /v/k"]),
        &["vol"],
    );
    assert_eq!(
        stdout(&run(&s, &["-v", "vol1:/v"], &["cat", "/v/k"])),
        "kept\n"
    );
    assert!(s.ok(&["volume", "ls", "-q"]).lines().any(|l| l == "vol1"));
    s.ok(&["volume", "rm", "vol1"]);
    assert!(!s.ok(&["volume", "ls", "-q"]).contains("vol1"));
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn memory_limit_oom_and_pids_limit() {
    let s = Store::new();
    let img = busybox(&s);
    let mut args = vec!["run", "--name", "hog", "--memory", "32m"];
    args.extend(img.iter().map(String::as_str));
    args.extend_from_slice(&["dd", "if=/dev/zero", "of=/dev/null", "bs=128M", "count=1"]);
    let o = s.run(&args);
    assert_eq!(o.status.code(), Some(137), "{}", stderr(&o));
    assert_eq!(
        s.ok(&[
            "inspect",
            "-f",
            "{{.State.OOMKilled}} {{.State.ExitCode}}",
            "hog"
        ])
        .trim(),
        "true 137"
    );
    let id = s
        .ok(&["inspect", "-f", "{{.Id}}", "hog"])
        .trim()
        .to_string();
    s.ok(&["rm", "hog"]);
    assert_no_leftovers(&s, &id);
    // A fork bomb hits the pids limit instead of the host.
    let start = Instant::now();
    let o = run(
        &s,
        &["--pids-limit", "20"],
        &["sh", "-c", "for i in $(seq 40); do sleep 2 & done; wait"],
    );
    assert!(stderr(&o).contains("fork"), "{}", stderr(&o));
    assert!(start.elapsed() < Duration::from_secs(20));
    let o = run(
        &s,
        &["--cpus", "0.5", "--cpu-shares", "512", "--memory", "64m"],
        &["cat", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us"],
    );
    assert_eq!(stdout(&o).trim(), "50000");
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn detached_logs_stop_rm() {
    let s = Store::new();
    let img = busybox(&s);
    let mut args = vec!["run", "-d", "--name", "ticker"];
    args.extend(img.iter().map(String::as_str));
    args.extend_from_slice(&[
        "sh",
        "-c",
        "for i in 1 2 3 4 5; do echo tick $i; sleep 0.2; done; echo err >&2",
    ]);
    let id = s.ok(&args).trim().to_string();
    assert_eq!(id.len(), 64);
    assert!(s.ok(&["ps"]).contains("ticker"));
    // -f streams until the container exits.
    let logs = s.run(&["logs", "-f", "ticker"]);
    assert_eq!(stdout(&logs), "tick 1\ntick 2\ntick 3\ntick 4\ntick 5\n");
    assert_eq!(stderr(&logs), "err\n");
    assert_eq!(s.ok(&["wait", "ticker"]).trim(), "0");
    // --tail counts entries of both streams, as docker's does.
    assert_eq!(s.ok(&["logs", "--tail", "2", "ticker"]), "tick 5\n");
    assert!(s.ok(&["logs", "-t", "ticker"]).starts_with("20"));
    assert!(!s.ok(&["ps"]).contains("ticker"));
    assert!(s
        .ok(&["ps", "-a", "-f", "status=exited"])
        .contains("ticker"));
    s.ok(&["rm", "ticker"]);
    assert_no_leftovers(&s, &id);

    // stop: the stop signal first (ignored by a PID 1 without a handler),
    // then SIGKILL after -t.
    let mut args = vec!["run", "-d", "--name", "sleeper"];
    args.extend(img.iter().map(String::as_str));
    args.extend_from_slice(&["sleep", "60"]);
    let id = s.ok(&args).trim().to_string();
    let start = Instant::now();
    s.ok(&["stop", "-t", "1", "sleeper"]);
    let took = start.elapsed();
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(10),
        "{took:?}"
    );
    assert_eq!(
        s.ok(&["inspect", "-f", "{{.State.ExitCode}}", "sleeper"])
            .trim(),
        "137"
    );
    // --init forwards SIGTERM to the process, which then exits at once.
    let mut args = vec!["run", "-d", "--init", "--name", "inited"];
    args.extend(img.iter().map(String::as_str));
    args.extend_from_slice(&["sleep", "60"]);
    let id2 = s.ok(&args).trim().to_string();
    let start = Instant::now();
    s.ok(&["stop", "-t", "10", "inited"]);
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(
        s.ok(&["inspect", "-f", "{{.State.ExitCode}}", "inited"])
            .trim(),
        "143"
    );
    // start again, then rm -f a running container.
    s.ok(&["start", "sleeper"]);
    assert!(s.ok(&["ps", "-q"]).contains(&id[..12]));
    s.ok(&["rm", "-f", "sleeper", "inited"]);
    assert_no_leftovers(&s, &id);
    assert_no_leftovers(&s, &id2);
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn twenty_concurrent_detached() {
    let s = Store::new();
    let img = busybox(&s);
    let handles: Vec<_> = (0..20)
        .map(|i| {
            let mut c = s.skiff();
            c.args(["run", "-d", "--name", &format!("c{i}")]);
            c.args(&img);
            c.args(["sleep", "60"]);
            std::thread::spawn(move || c.output().unwrap())
        })
        .collect();
    let ids: Vec<String> = handles
        .into_iter()
        .map(|h| {
            let o = h.join().unwrap();
            assert_success(&o, &["run -d"]);
            stdout(&o).trim().to_string()
        })
        .collect();
    assert_eq!(s.ok(&["ps", "-q"]).lines().count(), 20);
    let names: Vec<String> = (0..20).map(|i| format!("c{i}")).collect();
    let mut args = vec!["stop", "-t", "0"];
    args.extend(names.iter().map(String::as_str));
    s.ok(&args);
    assert_eq!(s.ok(&["ps", "-q"]).lines().count(), 0, "all stopped");
    assert_eq!(s.ok(&["ps", "-aq"]).lines().count(), 20);
    args[0] = "rm";
    args.retain(|a| *a != "-t" && *a != "0");
    s.ok(&args);
    assert_eq!(s.ok(&["ps", "-aq"]).lines().count(), 0);
    for id in &ids {
        assert_no_leftovers(&s, id);
    }
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn exec_through_a_pty() {
    let s = Store::new();
    let img = busybox(&s);
    let mut args = vec!["run", "-d", "--name", "target"];
    args.extend(img.iter().map(String::as_str));
    args.extend_from_slice(&["sleep", "60"]);
    let id = s.ok(&args).trim().to_string();
    // Plain exec: own exit code, container's env and namespaces.
    let o = s.run(&[
        "exec",
        "-e",
        "X=1",
        "target",
        "sh",
        "-c",
        "echo $X $HOSTNAME; exit 4",
    ]);
    assert_eq!(o.status.code(), Some(4));
    assert_eq!(stdout(&o), format!("1 {}\n", &id[..12]));
    // -it through a real pty (script(1) gives skiff a terminal).
    let cmd = format!(
        "{} --root {} exec -it target sh -c 'tty; stty size'",
        skiff_bin().display(),
        s.root().display()
    );
    let o = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .unwrap();
    let out = stdout(&o);
    assert!(out.contains("/dev/pts/"), "{out}");
    assert_eq!(
        s.run(&["exec", "target", "no-such"]).status.code(),
        Some(127)
    );
    s.ok(&["rm", "-f", "target"]);
    assert_no_leftovers(&s, &id);
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn foreground_signals_ulimits_and_stdin() {
    let s = Store::new();
    let img = busybox(&s);
    // sig-proxy: SIGTERM to skiff reaches the container (here via --init).
    let mut c = s.skiff();
    c.args(["run", "--rm", "--init"])
        .args(&img)
        .args(["sleep", "30"]);
    let mut child = c.spawn().unwrap();
    std::thread::sleep(Duration::from_millis(700));
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let st = child.wait().unwrap();
    assert_eq!(st.code(), Some(143));
    // --ulimit
    let o = run(
        &s,
        &["--ulimit", "nofile=512:1024"],
        &["sh", "-c", "ulimit -n; ulimit -Hn"],
    );
    assert_eq!(stdout(&o), "512\n1024\n");
    // -i passes stdin through; without it the container reads EOF.
    let mut c = s.skiff();
    c.args(["run", "--rm", "-i"]).args(&img).args(["cat"]);
    c.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"piped\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "piped\n");
    assert_eq!(stdout(&run(&s, &[], &["cat"])), "");
}
