//! Where `skiff build` reads its Dockerfile from (`-f` elsewhere, `-f -`),
//! errors naming the Dockerfile line, and the buildx subcommands.

mod common;

use common::build::*;
use common::*;

#[test]
fn errors_name_the_dockerfile_line() {
    let store = Store::new();
    let d = dockerfile_context("FROM scratch\nCOPY app.conf /\nCOPY missing.txt /\n");
    write(d.path(), "app.conf", "x\n");
    build_fails(&store, d.path(), &[], &["Dockerfile:3", "missing.txt"]);
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
    let out = store.run_stdin(
        &["build", "-q", "-f", "-", ctx.to_str().unwrap()],
        b"FROM scratch\nCOPY data.txt /x\n",
    );
    assert!(out.status.success(), "{}", text(&out));
}
