//! The Dockerfile frontend through the real binary: `skiff debug parse`
//! against BuildKit's parser vectors, and `skiff build --check` on the real
//! Dockerfile corpus and on crafted problems. Vectors are read from
//! ../shared/conformance at run time.

mod common;
#[path = "../../builder/frontend/tests/common/mod.rs"]
mod conformance_data;

use std::path::{Path, PathBuf};

use common::Store;
use conformance_data::{conformance, sorted_dirs};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn debug_parse_reproduces_all_positive_vectors() {
    let store = Store::new();
    let cases = sorted_dirs(&conformance().join("buildkit-parser/testfiles"));
    assert_eq!(cases.len(), 33);
    let mut failed = Vec::new();
    for d in &cases {
        let out = store.run(&["debug", "parse", s(&d.join("Dockerfile"))]);
        let want = std::fs::read(d.join("result")).unwrap();
        if !out.status.success() || out.stdout != want {
            failed.push(d.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    assert!(failed.is_empty(), "dump differs for: {failed:?}");
}

#[test]
fn debug_parse_rejects_negative_vectors() {
    let store = Store::new();
    let cases = sorted_dirs(&conformance().join("buildkit-parser/testfiles-negative"));
    assert_eq!(cases.len(), 4);
    for d in &cases {
        let file = d.join("Dockerfile");
        let out = store.run(&["debug", "parse", s(&file)]);
        assert!(!out.status.success(), "{} parsed", d.display());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(s(&file)), "error should name the file: {err}");
    }
}

fn real_dockerfiles() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(conformance().join("real-dockerfiles"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .contains("Dockerfile")
        })
        .collect();
    v.sort();
    v
}

#[test]
fn real_dockerfiles_parse_and_check_without_errors() {
    let store = Store::new();
    let files = real_dockerfiles();
    assert_eq!(files.len(), 73);
    let ctx = tempfile::tempdir().unwrap();
    let mut failed = Vec::new();
    for f in &files {
        let parse = store.run(&["debug", "parse", s(f)]);
        if !parse.status.success() || parse.stdout.is_empty() {
            failed.push(format!(
                "parse {}: {}",
                f.display(),
                String::from_utf8_lossy(&parse.stderr)
            ));
            continue;
        }
        // faas-cli always passes ADDITIONAL_PACKAGE: a warning, never an error.
        let check = store.run(&[
            "build",
            "--check",
            "-f",
            s(f),
            "--build-arg",
            "ADDITIONAL_PACKAGE=",
            s(ctx.path()),
        ]);
        let stdout = String::from_utf8_lossy(&check.stdout);
        if check.status.code() != Some(0) || stdout.contains(": error:") {
            failed.push(format!(
                "check {}:\n{stdout}{}",
                f.display(),
                String::from_utf8_lossy(&check.stderr)
            ));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// Run `skiff build --check` on a Dockerfile body; returns (exit code, stdout).
fn check(body: &str, extra: &[&str]) -> (i32, String) {
    let store = Store::new();
    let ctx = tempfile::tempdir().unwrap();
    std::fs::write(ctx.path().join("Dockerfile"), body).unwrap();
    let mut args = vec!["build", "--check"];
    args.extend_from_slice(extra);
    args.push(s(ctx.path()));
    let out = store.run(&args);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// `check` that must exit 0 and print each of `wants`.
fn check_ok(body: &str, extra: &[&str], wants: &[&str]) {
    let (code, out) = check(body, extra);
    assert_eq!(code, 0, "{out}");
    for want in wants {
        assert!(out.contains(want), "no {want:?} in: {out}");
    }
}

#[test]
fn check_warnings_exit_zero() {
    check_ok(
        "FROM alpine as build\nRUN echo hi\nCOPY $UNDEFINED /x\nFROM build\n",
        &["--build-arg", "ADDITIONAL_PACKAGE=curl"],
        &[
            "Dockerfile:1: warning: FromAsCasing",
            "Dockerfile:3: warning: UndefinedVar: Usage of undefined variable '$UNDEFINED'",
            "build-args [ADDITIONAL_PACKAGE] were not consumed",
        ],
    );
}

#[test]
fn check_clean_file_has_no_warnings() {
    check_ok(
        "ARG BASE=alpine\nFROM ${BASE} AS build\nARG TARGETARCH\nRUN echo $TARGETARCH\nFROM scratch\nCOPY --from=build /etc/passwd /\n",
        &["--build-arg", "BASE=busybox"],
        &["no warnings found"],
    );
}

#[test]
fn check_errors_exit_one_with_file_and_line() {
    let cases: &[(&str, &str)] = &[
        (
            "FROM alpine\nRUNN echo\n",
            "Dockerfile:2: error: unknown instruction: RUNN (did you mean run?)",
        ),
        (
            "FROM alpine\nRUN <<EOF\necho\n",
            "Dockerfile:2: error: unterminated heredoc",
        ),
        (
            "FROM alpine\nCOPY --frm=x a b\n",
            "Dockerfile:2: error: unknown flag: --frm (did you mean from?)",
        ),
        (
            "FROM alpine\nCMD [\"a\", 1]\n",
            "Dockerfile:2: error: when using JSON array syntax",
        ),
        (
            "FROM alpine\nENV X\n",
            "Dockerfile:2: error: ENV must have two arguments",
        ),
        (
            "FROM alpine\nCOPY --from=3 a b\n",
            "Dockerfile:2: error: COPY --from=3: invalid stage index 3",
        ),
        (
            "FROM alpine\nCOPY --chmod=9x a b\n",
            "Dockerfile:2: error: invalid chmod parameter",
        ),
        (
            "ARG V\nFROM alpine:${V:?required}\n",
            "Dockerfile:2: error: failed to process \"alpine:${V:?required}\": V: required",
        ),
        (
            "# just a comment\n",
            "Dockerfile:1: error: file with no instructions",
        ),
        (
            "FROM a AS x\nFROM x AS y\nCOPY --from=y / /\n",
            "circular dependency",
        ),
        (
            "FROM alpine\nRUN --mount=type=foo true\n",
            "Dockerfile:2: error: unsupported mount type \"foo\"",
        ),
        (
            "FROM alpine\nHEALTHCHECK --interval=xx CMD true\n",
            "Dockerfile:2: error: time: invalid duration",
        ),
    ];
    for (body, want) in cases {
        let (code, out) = check(body, &[]);
        assert_eq!(code, 1, "{body:?}: {out}");
        assert!(out.contains(want), "{body:?}: want {want:?} in:\n{out}");
    }
    let (code, out) = check("FROM alpine AS a\nFROM alpine AS b\n", &["--target", "c"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("target stage \"c\" could not be found"),
        "{out}"
    );
}

#[test]
fn check_uses_dockerfile_specific_ignore_file() {
    let store = Store::new();
    let ctx = tempfile::tempdir().unwrap();
    std::fs::write(ctx.path().join("app.Dockerfile"), "FROM alpine\n").unwrap();
    std::fs::write(ctx.path().join("app.Dockerfile.dockerignore"), "!\n").unwrap();
    let df = ctx.path().join("app.Dockerfile");
    let out = store.run(&["build", "--check", "-f", s(&df), s(ctx.path())]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("illegal exclusion pattern"));
}
