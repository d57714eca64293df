//! Every `docker build` flag: applied to the RUN containers (what a RUN
//! sees under each flag, against the default), accepted where skiff
//! already does what it asks, or refused naming the flag with docker's
//! exit code. The README's "docker build flags" table is the list.

mod common;

use std::fs;

use common::build::*;
use common::*;

/// One RUN that records what its container gets, one `key=value` a line.
const PROBE: &str = "FROM busybox\n\
RUN echo \"nofile=$(ulimit -n)\" > /probe; \
echo \"shm=$(df -k /dev/shm | tail -1 | awk '{print $2}')\" >> /probe; \
echo \"mem=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max)\" >> /probe; \
echo \"shares=$(cat /sys/fs/cgroup/cpu/cpu.shares 2>/dev/null || cat /sys/fs/cgroup/cpu.weight)\" >> /probe; \
echo \"nnp=$(awk '/^NoNewPrivs/ {print $2}' /proc/self/status)\" >> /probe; \
echo \"seccomp=$(awk '/^Seccomp:/ {print $2}' /proc/self/status)\" >> /probe; \
echo \"net=$(ls /sys/class/net | tr '\\n' ' ')\" >> /probe; \
echo \"foo=$(awk '$2 == \"foo\" {print $1}' /etc/hosts)\" >> /probe\n";

fn probe(store: &Store, ctx: &str, flags: &[&str]) -> String {
    let out = tempfile::tempdir().unwrap();
    let dest = format!("type=local,dest={}", out.path().display());
    let mut args = vec!["--no-cache", "-o", &dest];
    args.extend_from_slice(flags);
    args.push(ctx);
    build(store, &args);
    fs::read_to_string(out.path().join("probe")).unwrap()
}

/// An interface of the host's network namespace that a RUN on the
/// default (bridge) network does not see: the bridge itself at least.
fn host_only_interface(defaults: &str) -> String {
    let seen = defaults
        .lines()
        .find_map(|l| l.strip_prefix("net="))
        .unwrap_or_default()
        .to_string();
    fs::read_dir("/sys/class/net")
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .find(|n| !seen.split(' ').any(|s| s == n))
        .unwrap_or_else(|| panic!("no host interface beyond the RUN's own: {seen}"))
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn build_flags_reach_every_run_container() {
    let (store, d) = busybox_and_context(PROBE);
    let c = d.path().to_str().unwrap();
    let defaults = probe(&store, c, &[]);
    let host_if = host_only_interface(&defaults);
    // (flags, the line the probe must show); each differs from the default.
    let table: Vec<(Vec<&str>, String)> = vec![
        (vec!["--ulimit", "nofile=1234:2345"], "nofile=1234".into()),
        (vec!["--shm-size", "128m"], "shm=131072".into()),
        (vec!["--memory", "64m"], "mem=67108864".into()),
        (
            vec!["-m", "64m", "--memory-swap", "128m"],
            "mem=67108864".into(),
        ),
        (vec!["--cpu-shares", "512"], "shares=512".into()),
        (vec!["--security-opt", "no-new-privileges"], "nnp=1".into()),
        (
            vec!["--security-opt", "seccomp=unconfined"],
            "seccomp=0".into(),
        ),
        (vec!["--network", "none"], "net=lo ".into()),
        (vec!["--network", "host"], format!("net-has={host_if}")),
        (vec!["--add-host", "foo:10.1.2.3"], "foo=10.1.2.3".into()),
        (vec!["--add-host", "foo=10.9.8.7"], "foo=10.9.8.7".into()),
    ];
    // `net-has=NAME`: the interface list includes NAME.
    let shows = |probe: &str, want: &str| match want.strip_prefix("net-has=") {
        Some(name) => probe
            .lines()
            .filter_map(|l| l.strip_prefix("net="))
            .any(|l| l.split(' ').any(|n| n == name)),
        None => probe.lines().any(|l| l == want),
    };
    for (flags, want) in &table {
        assert!(
            !shows(&defaults, want),
            "{flags:?}: {want} is already the default:\n{defaults}"
        );
        let got = probe(&store, c, flags);
        assert!(
            shows(&got, want),
            "{flags:?}: want {want}, the RUN saw:\n{got}"
        );
    }
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn build_flags_accepted_as_docker_does() {
    let (store, d) = busybox_and_context("FROM busybox\nRUN echo ok > /ok\n");
    let c = d.path().to_str().unwrap();
    // What skiff always does, or a value that asks for nothing more.
    for flags in [
        vec!["--rm"],
        vec!["--rm=true"],
        vec!["--force-rm"],
        vec!["--compress"],
        vec!["--isolation", "default"],
        vec!["--provenance=false"],
        vec!["--sbom=false"],
        vec!["--builder", "skiff"],
        vec!["--call", "build"],
        vec!["--allow", "network.host"],
        vec!["--squash"],
        vec!["--load"],
    ] {
        let mut args = vec!["-t", "acc:1"];
        args.extend_from_slice(&flags);
        args.push(c);
        build(&store, &args);
    }
    // --metadata-file names the image built.
    let meta = d.path().join("meta.json");
    build(
        &store,
        &["-t", "meta:1", "--metadata-file", meta.to_str().unwrap(), c],
    );
    let m: serde_json::Value = serde_json::from_slice(&fs::read(&meta).unwrap()).unwrap();
    assert_eq!(
        m["containerimage.config.digest"],
        image_id(&store, "meta:1")
    );
    assert_eq!(m["image.name"], "docker.io/library/meta:1");
    assert!(m["containerimage.digest"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    // --call=check is --check: no image.
    let out = store.run(&["build", "--call=check", "-t", "chk:1", c]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!store.run(&["image", "inspect", "chk:1"]).status.success());
    // RUN --security=insecure runs privileged with the entitlement only.
    let d = dockerfile_context(
        "FROM busybox\nRUN --security=insecure awk '/^CapEff/ {print $2}' /proc/self/status > /caps\n",
    );
    let c = d.path().to_str().unwrap();
    let out = store.run(&["build", c]);
    assert_fails(&out, 1, &["--allow security.insecure"]);
    let o = tempfile::tempdir().unwrap();
    let dest = format!("type=local,dest={}", o.path().display());
    build(&store, &["--allow", "security.insecure", "-o", &dest, c]);
    let caps = fs::read_to_string(o.path().join("caps")).unwrap();
    // CAP_SYS_ADMIN (bit 21): only a privileged RUN has it.
    let caps = u64::from_str_radix(caps.trim(), 16).unwrap();
    assert_ne!(caps & (1 << 21), 0, "CAP_SYS_ADMIN in {caps:x}");
    assert_eq!(0xa80425fbu64 & (1 << 21), 0, "not in docker's default set");
}

#[test]
fn build_flags_refused_name_the_flag() {
    let store = Store::new();
    let d = dockerfile_context("FROM scratch\n");
    let c = d.path().to_str().unwrap();
    let table: &[(&[&str], &str)] = &[
        (&["--cache-from", "type=gha"], "--cache-from"),
        (&["--cache-to", "type=s3,bucket=b"], "--cache-to"),
        (&["--rm=false"], "--rm=false"),
        (&["--cpu-period", "100000"], "--cpu-period"),
        (&["--cpu-quota", "50000"], "--cpu-quota"),
        (&["--cpuset-cpus", "0"], "--cpuset-cpus"),
        (&["--cpuset-mems", "0"], "--cpuset-mems"),
        (&["--cgroup-parent", "x"], "--cgroup-parent"),
        (&["--resource", "memory=2g"], "--resource"),
        (&["--policy", "filename=p.rego"], "--policy"),
        (&["--allow", "device"], "--allow"),
        (&["--annotation", "a=b"], "--annotation"),
        (&["--attest", "type=sbom"], "--attest"),
        (&["--sbom", "true"], "--sbom"),
        (&["--provenance", "mode=max"], "--provenance"),
        (&["--build-context", "x=../x"], "--build-context"),
        (&["--call", "outline"], "--call"),
        (&["--isolation", "hyperv"], "--isolation"),
        (&["--network", "mynet"], "network mode"),
        (&["--ulimit", "nofile=x"], "--ulimit"),
        (&["--shm-size", "lots"], "--shm-size"),
        (&["--memory", "1k"], "Minimum memory limit"),
        (&["--security-opt", "bogus"], "--security-opt"),
        (&["--add-host", "foo"], "--add-host"),
        (&["--ssh", "default=/nonexistent/agent"], "--ssh"),
        (&["--disable-content-trust"], "--disable-content-trust"),
    ];
    for (flags, name) in table {
        let mut args = vec!["build"];
        args.extend_from_slice(flags);
        args.push(c);
        let out = store.run(&args);
        assert_eq!(out.status.code(), Some(125), "{flags:?}: {}", text(&out));
        assert!(stderr(&out).contains(name), "{flags:?}: {}", text(&out));
    }
}
