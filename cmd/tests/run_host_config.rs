//! docker's HostConfig flags on real containers: `--restart` (the monitor
//! restarts, with docker's back-off and its "manually stopped" rule),
//! `--log-driver`/`--log-opt` rotation, `--dns*`, `--sysctl`, `--shm-size`,
//! `--pid/--ipc host`, `--cidfile`, `--label-file`, and every `docker run`
//! flag skiff does not implement refused by name with exit 125.

mod common;

use std::time::Duration;

use common::container::*;
use common::*;

/// `run -d --name NAME --restart POLICY busybox CMD...`
fn run_restarting(s: &Store, name: &str, policy: &str, cmd: &[&str]) {
    run_detached(s, &["--name", name, "--restart", policy], cmd);
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn on_failure_restarts_up_to_its_limit_then_stays_exited() {
    let s = Store::new();
    run_restarting(
        &s,
        "flaky",
        "on-failure:2",
        &["sh", "-c", "echo ran; exit 3"],
    );
    let got = wait_for(&s, "flaky", "{{.RestartCount}} {{.State.Status}}", |g| {
        g == "2 exited"
    });
    assert_eq!(got, "2 exited");
    assert_eq!(s.inspect("flaky", "{{.State.ExitCode}}"), "3");
    assert_eq!(
        s.inspect(
            "flaky",
            "{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}"
        ),
        "on-failure:2"
    );
    // Three runs (the first and two restarts), all in one log.
    assert_eq!(s.ok(&["logs", "flaky"]), "ran\nran\nran\n");
    // A clean exit under on-failure is not restarted.
    run_restarting(&s, "clean", "on-failure", &["true"]);
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(s.inspect("clean", "{{.RestartCount}}"), "0");
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn always_restarts_until_stopped_and_stop_is_final() {
    let s = Store::new();
    run_restarting(&s, "loop", "always", &["sh", "-c", "sleep 0.2"]);
    let n = wait_for(&s, "loop", "{{.RestartCount}}", |g| {
        g.parse::<u32>().unwrap_or(0) >= 2
    });
    assert!(n.parse::<u32>().unwrap() >= 2, "restarts: {n}");
    s.ok(&["stop", "-t", "1", "loop"]);
    let after = s.inspect("loop", "{{.RestartCount}}");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(s.inspect("loop", "{{.State.Status}}"), "exited");
    assert_eq!(
        s.inspect("loop", "{{.RestartCount}}"),
        after,
        "no restart after stop"
    );
    // `start` brings it back under its policy.
    s.ok(&["start", "loop"]);
    let st = wait_for(&s, "loop", "{{.State.Status}}", |g| {
        g == "running" || g == "restarting"
    });
    assert!(st == "running" || st == "restarting", "{st}");
    s.ok(&["rm", "-f", "loop"]);
    assert!(!s.run(&["inspect", "loop"]).status.success());
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn restart_policy_checks() {
    let s = busybox_store();
    let o = s.run(&["run", "--rm", "--restart", "always", "busybox", "true"]);
    assert_fails(&o, 125, &["Conflicting options: --restart and --rm"]);
    let o = s.run(&["run", "--restart", "sometimes", "busybox", "true"]);
    assert_fails(&o, 125, &["invalid restart policy"]);
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn json_file_logs_rotate_at_max_size() {
    let s = Store::new();
    let id = run_detached(
        &s,
        &["--log-opt", "max-size=1k", "--log-opt", "max-file=2"],
        &[
            "sh",
            "-c",
            "i=0; while [ $i -lt 200 ]; do echo line-$i; i=$((i+1)); done",
        ],
    );
    s.ok(&["wait", &id]);
    let dir = s.root().join("containers").join(&id);
    let cur = std::fs::metadata(dir.join("ctr.log"))
        .map(|m| m.len())
        .unwrap_or(0);
    let old = std::fs::metadata(dir.join("ctr.log.1")).unwrap().len();
    assert!(cur < 1200 && old < 1200, "sizes {cur} {old}");
    assert!(
        !dir.join("ctr.log.2").exists(),
        "max-file=2 keeps two files"
    );
    let logs = s.ok(&["logs", &id]);
    assert!(logs.ends_with("line-199\n"), "{logs}");
    assert!(!logs.starts_with("line-0\n"), "old lines rotated away");
    assert_eq!(
        s.inspect(
            &id,
            "{{.HostConfig.LogConfig.Type}} {{index .HostConfig.LogConfig.Config \"max-file\"}}"
        ),
        "json-file 2"
    );
    // The none driver keeps nothing.
    let id = run_detached(&s, &["--log-driver", "none"], &["echo", "gone"]);
    s.ok(&["wait", &id]);
    assert!(!s
        .root()
        .join("containers")
        .join(&id)
        .join("ctr.log")
        .exists());
    let o = s.run(&["run", "--rm", "--log-driver", "syslog", "busybox", "true"]);
    assert_eq!(o.status.code(), Some(125), "{}", stderr(&o));
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn dns_sysctl_shm_and_host_namespaces_reach_the_container() {
    let s = Store::new();
    let o = run(
        &s,
        &[
            "--dns", "192.0.2.53", "--dns-search", "example.test", "--dns-option", "ndots:3",
            "--sysctl", "net.ipv4.ip_forward=1", "--sysctl", "kernel.shmmax=123456789",
            "--shm-size", "96m",
        ],
        &["sh", "-c", "cat /etc/resolv.conf; cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax; df -k /dev/shm | tail -1"],
    );
    assert_success(&o, &["run --dns --sysctl --shm-size"]);
    let out = stdout(&o);
    assert!(out.contains("nameserver 192.0.2.53\n"), "{out}");
    assert!(out.contains("search example.test\n"), "{out}");
    assert!(out.contains("options ndots:3\n"), "{out}");
    assert!(
        !out.lines()
            .any(|l| l.starts_with("nameserver") && !l.contains("192.0.2.53")),
        "{out}"
    );
    assert!(out.contains("\n1\n123456789\n"), "{out}");
    assert!(out.contains(" 98304 "), "96m /dev/shm: {out}");
    // Sysctls outside the container's namespaces are refused, as docker does.
    let o = run(&s, &["--sysctl", "kernel.hostname=x"], &["true"]);
    assert_fails(&o, 125, &["not allowed"]);
    let o = run(
        &s,
        &["--network", "host", "--sysctl", "net.ipv4.ip_forward=1"],
        &["true"],
    );
    assert_eq!(o.status.code(), Some(125));
    // --pid host sees the host's processes (pid 1 is the host's init).
    let o = run(
        &s,
        &["--pid", "host"],
        &["sh", "-c", "cat /proc/1/comm; ls /proc | grep -c '^[0-9]'"],
    );
    assert_success(&o, &["run --pid host"]);
    let n: u32 = stdout(&o).lines().nth(1).unwrap().parse().unwrap();
    assert!(n > 5, "host pids visible: {}", stdout(&o));
    let o = run(&s, &[], &["sh", "-c", "ls /proc | grep -c '^[0-9]'"]);
    let n: u32 = stdout(&o).trim().parse().unwrap();
    assert!(n <= 3, "private pid namespace: {}", stdout(&o));
    let host_ipc = std::fs::read_link("/proc/self/ns/ipc").unwrap();
    let o = run(&s, &["--ipc", "host"], &["readlink", "/proc/self/ns/ipc"]);
    assert_eq!(stdout(&o).trim(), host_ipc.to_string_lossy());
    let o = run(&s, &[], &["readlink", "/proc/self/ns/ipc"]);
    assert_ne!(stdout(&o).trim(), host_ipc.to_string_lossy());
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn cidfile_and_label_file() {
    let s = Store::new();
    let dir = tempfile::tempdir().unwrap();
    let cid = dir.path().join("cid");
    let labels = dir.path().join("labels");
    std::fs::write(
        &labels,
        "# a comment\n\ncom.example.a=1\ncom.example.b=two\n",
    )
    .unwrap();
    let id = run_detached(
        &s,
        &[
            "--cidfile",
            cid.to_str().unwrap(),
            "--label-file",
            labels.to_str().unwrap(),
            "--label",
            "com.example.b=flag",
        ],
        &["true"],
    );
    assert_eq!(std::fs::read_to_string(&cid).unwrap(), id);
    assert_eq!(
        s.inspect(
            &id,
            "{{index .Config.Labels \"com.example.a\"}} {{index .Config.Labels \"com.example.b\"}}"
        ),
        "1 flag"
    );
    // docker refuses an existing cidfile before creating anything.
    let before = s.ok(&["ps", "-aq"]).lines().count();
    let o = run(&s, &["--cidfile", cid.to_str().unwrap()], &["true"]);
    assert_fails(&o, 125, &["Container ID file found"]);
    assert_eq!(s.ok(&["ps", "-aq"]).lines().count(), before);
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn flags_skiff_does_not_implement_are_refused_by_name() {
    let s = busybox_store();
    for flag in [
        &["--gpus", "all"][..],
        &["--device", "/dev/fuse"],
        &["--link", "db"],
        &["--userns", "host"],
        &["--cgroup-parent", "x"],
        &["--ip", "10.0.0.2"],
        &["--volumes-from", "other"],
        &["--sig-proxy=false"],
        &["--pid", "container:x"],
    ] {
        let mut args = vec!["run", "--rm"];
        args.extend_from_slice(flag);
        args.extend(["busybox", "true"]);
        let o = s.run(&args);
        assert_eq!(o.status.code(), Some(125), "{args:?}: {}", stderr(&o));
        let name = flag[0].split('=').next().unwrap();
        assert!(stderr(&o).contains(name), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    }
    // Flags docker accepts with a value that skiff honours as is.
    let o = s.run(&[
        "run",
        "--rm",
        "--sig-proxy",
        "--disable-content-trust",
        "busybox",
        "true",
    ]);
    assert_success(&o, &["run --sig-proxy --disable-content-trust"]);
}

/// A health check that fails until the container creates /tmp/ok, probed
/// every 200 ms, unhealthy after two failures.
const PROBE_FOR_OK: [&str; 6] = [
    "--health-cmd",
    "test -f /tmp/ok && echo fine",
    "--health-interval",
    "200ms",
    "--health-retries",
    "2",
];

/// Container NAME's health status reaches `want` (within [`wait_for`]'s
/// time) and `ps` shows it after the status, as docker's does; the `ps`
/// lines.
fn assert_health(s: &Store, name: &str, want: &str) -> String {
    let got = wait_for(s, name, "{{.State.Health.Status}}", |g| g == want);
    assert_eq!(got, want, "{name}");
    let ps = s.ok(&["ps", "--format", "{{.Names}} {{.Status}}"]);
    let line = ps.lines().find(|l| l.starts_with(&format!("{name} ")));
    assert!(
        line.is_some_and(|l| l.ends_with(&format!("({want})"))),
        "{ps}"
    );
    ps
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn health_checks_go_starting_unhealthy_healthy() {
    let s = Store::new();
    let flags = [&["--name", "hc"][..], &PROBE_FOR_OK].concat();
    run_detached(
        &s,
        &flags,
        &["sh", "-c", "sleep 1.5; touch /tmp/ok; sleep 60"],
    );
    let st = |s: &Store| s.inspect("hc", "{{.State.Health.Status}}");
    assert_eq!(st(&s), "starting");
    assert_health(&s, "hc", "unhealthy");
    assert_health(&s, "hc", "healthy");
    assert_eq!(s.inspect("hc", "{{.State.Health.FailingStreak}}"), "0");
    assert!(
        s.inspect("hc", "{{json .State.Health.Log}}")
            .contains("fine\\n"),
        "probe output kept"
    );
    let test = s.inspect("hc", "{{json .Config.Healthcheck.Test}}");
    assert!(
        test.starts_with(r#"["CMD-SHELL","test -f /tmp/ok "#),
        "{test}"
    );
    s.ok(&["rm", "-f", "hc"]);
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn health_checks_run_for_a_foreground_container_too() {
    let s = busybox_store();
    // `skiff run` in the foreground, watched from "another shell".
    let fg = s
        .skiff()
        .args(["run", "--name", "fg"])
        .args(PROBE_FOR_OK)
        .args(["busybox", "sh", "-c"])
        .arg("sleep 1.5; touch /tmp/ok; sleep 3; echo done")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let created = std::time::Instant::now();
    while stdout(&s.run(&["inspect", "-f", "{{.State.Status}}", "fg"])).trim() != "running" {
        assert!(created.elapsed() < Duration::from_secs(20), "never ran");
        std::thread::sleep(Duration::from_millis(50));
    }
    let ps = assert_health(&s, "fg", "unhealthy");
    assert!(ps.contains("fg Up"), "{ps}");
    assert_health(&s, "fg", "healthy");
    let log = s.inspect("fg", "{{json .State.Health.Log}}");
    assert!(log.contains("fine\\n"), "probe output kept: {log}");
    // The probes leave the run's own output and exit code alone, and it
    // ends with the container, not with a probe.
    let out = fg.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(stdout(&out), "done\n", "{}", text(&out));
    assert_eq!(s.inspect("fg", "{{.State.Status}}"), "exited");
    s.ok(&["rm", "fg"]);
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn image_healthcheck_timeout_and_no_healthcheck() {
    let s = busybox_store();
    let ctx = common::build::dockerfile_context(
        "FROM busybox\nHEALTHCHECK --interval=200ms --timeout=300ms --retries=1 CMD sleep 5\n",
    );
    s.ok(&["build", "-q", "-t", "probed", ctx.path().to_str().unwrap()]);
    s.ok(&["run", "-d", "--name", "slow", "probed", "sleep", "60"]);
    assert_health(&s, "slow", "unhealthy");
    let log = s.inspect("slow", "{{json .State.Health.Log}}");
    assert!(log.contains("Health check exceeded timeout"), "{log}");
    assert!(log.contains(r#""ExitCode":-1"#), "{log}");
    // --no-healthcheck turns the image's check off.
    s.ok(&[
        "run",
        "-d",
        "--name",
        "quiet",
        "--no-healthcheck",
        "probed",
        "sleep",
        "60",
    ]);
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(s.inspect("quiet", "{{json .State.Health}}"), "null");
    assert_eq!(
        s.inspect("quiet", "{{json .Config.Healthcheck.Test}}"),
        r#"["NONE"]"#
    );
    let o = s.run(&[
        "run",
        "--rm",
        "--no-healthcheck",
        "--health-cmd",
        "true",
        "probed",
        "true",
    ]);
    assert_fails(&o, 125, &["conflicts with --health-* options"]);
    s.ok(&["rm", "-f", "slow", "quiet"]);
}
