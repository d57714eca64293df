//! Bad input never panics: every skiff command (walked from `--help`, so
//! a new one is covered the day it lands) gets an unknown flag, a bad
//! reference, the name of something that does not exist and no arguments,
//! and answers with docker's exit code and words that name what was wrong.
//! A stdout closed early (`skiff ps | head -1`) ends quietly too.

mod common;

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::container::{busybox, run_detached};
use common::*;

/// Commands that stream until stopped when given nothing (as docker's do).
const STREAMING: &[&str] = &["events", "system events", "stats", "container stats"];

/// Commands that take any word as an argument and succeed (a filter, a
/// registry to forget, the builder skiff always is).
const ANY_WORD_OK: &[&str] = &[
    "images",
    "image ls",
    "logout",
    "buildx create",
    "buildx use",
    "buildx inspect",
    "buildx rm",
    "buildx stop",
];

/// Every leaf command path (`["image", "ls"]`, `["ps"]`...) of `skiff`.
fn leaf_commands() -> Vec<Vec<String>> {
    fn walk(path: Vec<String>, out: &mut Vec<Vec<String>>) {
        let help = Command::new(skiff_bin())
            .args(&path)
            .arg("--help")
            .output()
            .unwrap();
        assert!(help.status.success(), "{path:?} --help: {}", text(&help));
        let subs: Vec<String> = stdout(&help)
            .lines()
            .skip_while(|l| !l.starts_with("Commands:"))
            .skip(1)
            .take_while(|l| !l.trim().is_empty())
            .filter_map(|l| l.split_whitespace().next().map(String::from))
            .filter(|s| s != "help")
            .collect();
        if subs.is_empty() {
            out.push(path);
            return;
        }
        for s in subs {
            let mut p = path.clone();
            p.push(s);
            walk(p, out);
        }
    }
    let mut out = Vec::new();
    walk(Vec::new(), &mut out);
    out
}

/// `skiff --root STORE PATH ARGS` with stdin closed; a hang past 30 s
/// fails the test.
fn run_path(s: &Store, path: &[String], args: &[&str]) -> Output {
    let all: Vec<&str> = path
        .iter()
        .map(String::as_str)
        .chain(args.iter().copied())
        .collect();
    s.run_within(&all, Duration::from_secs(30)).0
}

/// A streaming command (`events`, `stats`) given nothing: still running
/// after 2 s (then stopped), or ended without a panic.
fn streams_or_ends(s: &Store, path: &[String]) {
    let mut child = s.spawn(path, Stdio::null());
    std::thread::sleep(Duration::from_secs(2));
    if child.try_wait().unwrap().is_none() {
        let _ = child.kill();
    }
    let out = child.wait_with_output().unwrap();
    assert_no_panic_text(&out, &path.join(" "));
}

/// Not a panic, an abort or a crash.
fn assert_no_panic(out: &Output, what: &str) {
    let code = out.status.code();
    assert!(
        !matches!(code, Some(101 | 134)) && out.status.signal().is_none(),
        "{what}: {}",
        text(out)
    );
    assert_no_panic_text(out, what);
}

/// No panic message on stderr (whatever the exit).
fn assert_no_panic_text(out: &Output, what: &str) {
    assert!(
        !stderr(out).contains("panicked at"),
        "{what}: {}",
        text(out)
    );
}

#[test]
fn every_command_refuses_an_unknown_flag() {
    let s = Store::new();
    let all = leaf_commands();
    assert!(all.len() > 80, "only {} commands found", all.len());
    for path in &all {
        let what = format!("{} --bogus-flag", path.join(" "));
        let out = run_path(&s, path, &["--bogus-flag"]);
        assert_no_panic(&out, &what);
        assert_eq!(out.status.code(), Some(125), "{what}: {}", text(&out));
        let err = stderr(&out);
        assert!(
            err.starts_with("unknown flag: --bogus-flag\n"),
            "{what}: {err}"
        );
        assert!(
            err.contains(&format!("See 'skiff {} --help'.", path.join(" "))),
            "{what}: {err}"
        );
    }
}

/// docker's exit code for `PATH WORD` where WORD names nothing usable:
/// run and create turn every error into 125, the other commands exit 1
/// (a wrong argument count too: cobra's "requires 1 argument").
fn docker_code(path: &str) -> i32 {
    if ["run", "create", "container run", "container create"].contains(&path) {
        125
    } else if ANY_WORD_OK.contains(&path) {
        0
    } else {
        1
    }
}

#[test]
fn bad_references_and_missing_names_fail_with_docker_codes() {
    // Run, create and pull try 127.0.0.1:1 (refused at once): nothing
    // leaves the host.
    let s = Store::new();
    for path in leaf_commands() {
        let p = path.join(" ");
        for word in ["::bad::", "127.0.0.1:1/nosuch"] {
            let what = format!("{p} {word}");
            let out = run_path(&s, &path, &[word]);
            assert_no_panic(&out, &what);
            let err = stderr(&out);
            assert_eq!(
                out.status.code(),
                Some(docker_code(&p)),
                "{what}: {}",
                text(&out)
            );
            if out.status.success() {
                continue;
            }
            // The error says what was wrong: the word itself, the number
            // of arguments, or (login, update) the flag that was missing.
            let names_it = err.contains(word)
                || err.contains("argument")
                || err.contains("Username")
                || err.contains("provide one or more flags");
            assert!(names_it, "{what}: {err}");
        }
    }
}

#[test]
fn no_arguments_is_usage_or_success() {
    let s = Store::new();
    for path in leaf_commands() {
        let p = path.join(" ");
        if STREAMING.contains(&p.as_str()) {
            streams_or_ends(&s, &path);
            continue;
        }
        let out = run_path(&s, &path, &[]);
        assert_no_panic(&out, &p);
        let code = out.status.code();
        assert!(matches!(code, Some(0 | 1)), "{p}: {}", text(&out));
        if code == Some(1) {
            assert!(!stderr(&out).trim().is_empty(), "{p}: silent failure");
        }
        // A command whose usage has a required word says it needs it.
        let help = s.skiff().args(&path).arg("--help").output().unwrap();
        let help = stdout(&help);
        let usage = help.lines().find(|l| l.starts_with("Usage:")).unwrap_or("");
        if usage.contains('<') {
            assert_eq!(code, Some(1), "{p}: {}", text(&out));
            assert!(stderr(&out).contains("argument"), "{p}: {}", text(&out));
        }
    }
}

/// `skiff ARGS` writing into a pipe whose reader is already gone: exit 0
/// (skiff stops quietly) or SIGPIPE, as docker's Go binary dies of it.
fn into_closed_pipe(s: &Store, args: &[&str]) {
    let writer = closed_pipe();
    let out = s
        .skiff()
        .args(args)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_no_panic_or_pipe(&out, &format!("{args:?}"));
}

/// The write end of a pipe whose read end is already closed (the MSRV,
/// 1.85, predates std::io::pipe).
fn closed_pipe() -> std::fs::File {
    use std::os::fd::FromRawFd;
    let mut fds = [0i32; 2];
    // SAFETY: pipe2 fills both fds; each is owned by exactly one value
    // below (the read end is closed at once).
    unsafe {
        assert_eq!(libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC), 0);
        libc::close(fds[0]);
        std::fs::File::from_raw_fd(fds[1])
    }
}

fn assert_no_panic_or_pipe(out: &Output, what: &str) {
    let sigpipe = out.status.signal() == Some(libc::SIGPIPE);
    assert!(
        out.status.code() == Some(0) || sigpipe,
        "{what}: {}",
        text(out)
    );
    assert_no_panic_text(out, what);
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn a_closed_stdout_ends_quietly() {
    let s = Store::new();
    let img = busybox(&s);
    let id = run_detached(&s, &[], &["sleep", "30"]);
    for args in [
        &["ps"][..],
        &["ps", "-a", "--format", "json"],
        &["images"],
        &["images", "-q"],
        &["--help"],
        &["version"],
        &["info"],
        &["inspect", &id],
        &["history", &img[0]],
        &["image", "inspect", &img[0]],
    ] {
        into_closed_pipe(&s, args);
    }
    s.ok(&["rm", "-f", &id]);
}

/// `skiff logs C | head -1` of a log far larger than a pipe holds.
#[test]
#[ignore = "needs the test ground: scripts/test"]
fn logs_into_head_ends_quietly() {
    let s = Store::new();
    let id = run_detached(&s, &[], &["sh", "-c", "seq 1 200000"]);
    assert_eq!(s.ok(&["wait", &id]).trim(), "0");
    let (child, first) = s.first_line(&["logs", &id], Stdio::piped());
    // The reader is gone now, with most of the log unwritten.
    assert_eq!(first, "1\n");
    let out = child.wait_with_output().unwrap();
    assert_no_panic_or_pipe(&out, "logs | head -1");
    into_closed_pipe(&s, &["logs", &id]);
    s.ok(&["rm", &id]);
}

/// Where a docker CLI is installed (optional: CI has none), its own
/// parse-time answers are the reference: for every command both have, an
/// unknown flag and no arguments give the same exit code and the same
/// first line, `docker` read as `skiff`. No daemon is needed: DOCKER_HOST
/// points nowhere, and answers that needed the daemon are not compared.
#[test]
fn parse_errors_match_the_docker_cli_where_installed() {
    let Ok(v) = Command::new("docker").arg("--version").output() else {
        eprintln!("no docker CLI here: nothing to compare");
        return;
    };
    assert!(v.status.success(), "docker --version: {}", text(&v));
    let s = Store::new();
    let mut compared = 0;
    for path in leaf_commands() {
        let docker = |args: &[&str]| {
            Command::new("docker")
                .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
                .args(&path)
                .args(args)
                .stdin(Stdio::null())
                .output()
                .unwrap()
        };
        if !docker(&["--help"]).status.success() {
            continue; // not a docker command (buildx is a plugin)
        }
        for args in [&["--bogus-flag"][..], &[]] {
            let theirs = docker(args);
            let err = stderr(&theirs);
            let first = err.lines().next().unwrap_or("").replace("docker", "skiff");
            let parse_error = ["unknown flag", "requires", "accepts no"]
                .iter()
                .any(|w| first.contains(w));
            if !parse_error {
                continue;
            }
            let what = format!("{} {args:?}", path.join(" "));
            let ours = run_path(&s, &path, args);
            assert_eq!(
                ours.status.code(),
                theirs.status.code(),
                "{what}: docker said {err}\nskiff: {}",
                text(&ours)
            );
            assert_eq!(stderr(&ours).lines().next(), Some(first.as_str()), "{what}");
            compared += 1;
        }
    }
    assert!(compared > 100, "only {compared} answers compared");
}
