//! The container lifecycle: run -d, ps, logs, wait, stop (stop signal,
//! then SIGKILL; --init), start, rm -f, twenty at once, and nothing left.

mod common;

use std::time::{Duration, Instant};

use common::container::*;
use common::*;

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn detached_logs_stop_rm() {
    let s = Store::new();
    let id = run_detached(
        &s,
        &["--name", "ticker"],
        &[
            "sh",
            "-c",
            "for i in 1 2 3 4 5; do echo tick $i; sleep 0.2; done; echo err >&2",
        ],
    );
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
    let id = run_detached(&s, &["--name", "sleeper"], &["sleep", "60"]);
    let start = Instant::now();
    s.ok(&["stop", "-t", "1", "sleeper"]);
    let took = start.elapsed();
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(10),
        "{took:?}"
    );
    assert_eq!(s.inspect("sleeper", "{{.State.ExitCode}}"), "137");
    // --init forwards SIGTERM to the process, which then exits at once.
    let id2 = run_detached(&s, &["--init", "--name", "inited"], &["sleep", "60"]);
    let start = Instant::now();
    s.ok(&["stop", "-t", "10", "inited"]);
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(s.inspect("inited", "{{.State.ExitCode}}"), "143");
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
    let (s, img) = store_with_busybox();
    let handles: Vec<_> = (0..20)
        .map(|i| {
            let mut c = s.skiff();
            c.args(["run", "-d", "--name", &format!("c{i}")]);
            c.arg(img);
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
