//! `skiff update` (docker update): new limits reach a running container's
//! cgroup at once (v1 controllers or v2 files, whichever the host has) and
//! its stored config, so `inspect` and later starts see them; refusals
//! exit 1 as docker's.

mod common;

use std::path::PathBuf;

use common::container::{run_detached, wait_for};
use common::*;

/// The file holding a limit of container `id`, on v2 or v1.
fn cg(id: &str, v2: &str, v1: (&str, &str)) -> String {
    let unified = PathBuf::from("/sys/fs/cgroup/cgroup.controllers").exists();
    let p = if unified {
        PathBuf::from(format!("/sys/fs/cgroup/skiff/{id}/{v2}"))
    } else {
        PathBuf::from(format!("/sys/fs/cgroup/{}/skiff/{id}/{}", v1.0, v1.1))
    };
    std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .trim()
        .to_string()
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn update_changes_a_running_containers_limits() {
    let s = busybox_store();
    let id = run_detached(&s, &["--memory", "64m"], &["sleep", "60"]);
    let out = s.ok(&[
        "update",
        "--memory",
        "128m",
        "--cpus",
        "0.5",
        "--pids-limit",
        "50",
        &id,
    ]);
    assert_eq!(out.trim(), id);
    assert_eq!(
        cg(&id, "memory.max", ("memory", "memory.limit_in_bytes")),
        "134217728"
    );
    let quota = cg(&id, "cpu.max", ("cpu", "cpu.cfs_quota_us"));
    assert!(quota == "50000" || quota == "50000 100000", "{quota}");
    assert_eq!(cg(&id, "pids.max", ("pids", "pids.max")), "50");
    let hc = s.inspect(
        &id,
        "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}",
    );
    assert_eq!(hc, "134217728 500000000 50");
    // A lower limit than before, and back to unlimited pids.
    s.ok(&["update", "-m", "32m", "--pids-limit", "-1", &id]);
    assert_eq!(
        cg(&id, "memory.max", ("memory", "memory.limit_in_bytes")),
        "33554432"
    );
    assert_eq!(cg(&id, "pids.max", ("pids", "pids.max")), "max");
    // Kept for the next start.
    s.ok(&["stop", "-t", "0", &id]);
    s.ok(&["start", &id]);
    assert_eq!(
        cg(&id, "memory.max", ("memory", "memory.limit_in_bytes")),
        "33554432"
    );

    for (args, msg) in [
        (
            vec!["update", &id],
            "Error: you must provide one or more flags",
        ),
        (
            vec!["update", "-m", "1m", &id],
            "Error response from daemon: Minimum memory limit allowed is 6MB",
        ),
        (
            vec!["update", "-m", "8m", "nosuch"],
            "Error response from daemon: No such container: nosuch",
        ),
    ] {
        assert_fails_starting(&s.run(&args), 1, msg);
    }
    s.ok(&["rm", "-f", &id]);
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn update_restart_changes_the_policy_the_monitor_follows() {
    let s = busybox_store();
    // Started without a policy; its monitor loaded that config at start.
    let id = run_detached(
        &s,
        &["--name", "job"],
        &["sh", "-c", "echo ran; sleep 2; exit 3"],
    );
    s.ok(&["update", "--restart", "on-failure:1", "job"]);
    let policy =
        "{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}";
    assert_eq!(s.inspect("job", policy), "on-failure:1");
    // The exit after the update is restarted once, as the new policy says.
    let got = wait_for(&s, "job", "{{.RestartCount}} {{.State.Status}}", |g| {
        g == "1 exited"
    });
    assert_eq!(got, "1 exited");
    assert_eq!(s.ok(&["logs", "job"]), "ran\nran\n");
    // Back to `no`: a later start runs once more and is not restarted.
    s.ok(&["update", "--restart", "no", "job"]);
    assert_eq!(s.inspect("job", policy), "no:0");
    s.ok(&["start", "job"]);
    let got = wait_for(&s, "job", "{{.State.Status}}", |g| g == "exited");
    assert_eq!(got, "exited");
    std::thread::sleep(std::time::Duration::from_millis(800));
    assert_eq!(
        s.inspect("job", "{{.RestartCount}} {{.State.Status}}"),
        "1 exited"
    );

    // docker's refusals: a bad policy, and any policy for a --rm container.
    let out = s.run(&["update", "--restart", "sometimes", "job"]);
    assert_fails(&out, 1, &["invalid restart policy"]);
    let rm = run_detached(&s, &["--rm"], &["sleep", "60"]);
    let out = s.run(&["update", "--restart", "always", &rm]);
    assert_fails(
        &out,
        1,
        &["Restart policy cannot be updated because AutoRemove is enabled"],
    );
    s.ok(&["rm", "-f", &id, &rm]);
}
