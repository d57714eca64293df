//! The build cache: a failing RUN keeps the cache of the steps before it,
//! and `builder prune` empties it.

mod common;

use common::build::*;
use common::*;

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn failing_run_reports_line_and_keeps_earlier_cache() {
    let (store, d) = busybox_and_context(
        "FROM busybox\nRUN echo one > /one\nRUN echo about to fail && exit 3\n",
    );
    let c = d.path().to_str().unwrap();
    build_fails(
        &store,
        d.path(),
        &[],
        &["Dockerfile:3", "exit code: 3", "about to fail"],
    );
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
fn builder_prune_empties_the_cache() {
    let store = Store::new();
    let ctx = scratch_context();
    let c = ctx.path().to_str().unwrap();
    build(&store, &["-t", "p:1", c]);
    let (progress, _) = build(&store, &["-t", "p:1", c]);
    assert!(all_cached(&progress), "{progress}");
    let out = store.ok(&["builder", "prune", "-f", "-a"]);
    assert!(out.contains("Total:"), "{out}");
    let (progress, _) = build(&store, &["-t", "p:1", c]);
    assert!(none_cached(&progress), "{progress}");
}
