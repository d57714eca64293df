//! A side-by-side matrix: the same command line run by skiff and by podman
//! (Debian's, the CI peer), each with its own store and the test ground's
//! busybox image, compared by shape (exit code, table titles, JSON keys,
//! stdout) rather than by volatile values (ids, times).
//!
//! docker is the reference. Where podman is known to answer differently
//! from docker, the row says so ([`Row::AsDocker`]) and holds skiff to
//! docker's answer, written out in the row; podman's answer is only shown.
//! Every row runs; [`Matrix::check`] prints the whole table and fails on
//! any row skiff does not match.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use super::podman::podman;
use super::{ground, stderr, stdout, Store};

/// podman's words for a missing container (docker's daemon says "No such
/// container: X" and its CLI exits 1).
pub const PODMAN_NO_CONTAINER: &str = "exit 125, \"no container with name or ID\"";

/// docker's answer for a container `nosuch` that does not exist.
pub const NO_SUCH_CONTAINER: Docker = Docker::Fails(1, "No such container: nosuch");

/// What a row compares besides the exit code (which every row compares).
#[derive(Debug, Clone, Copy)]
pub enum Shape<'a> {
    /// Nothing more.
    Exit,
    /// stdout, byte for byte (a container's own output, an id, a name).
    Stdout,
    /// The same number of stdout lines.
    Lines,
    /// A table: the column titles of the first line (cells split on runs
    /// of two or more spaces) and the number of rows.
    Table,
    /// stdout is a tar that holds each of these entries.
    TarHas(&'a [&'a str]),
}

/// docker's answer, for a row where podman's differs.
#[derive(Debug, Clone, Copy)]
pub enum Docker<'a> {
    /// Exit code and a text stderr must contain.
    Fails(i32, &'a str),
    /// Exit code and the whole stdout.
    Stdout(i32, &'a str),
    /// Exit 0 and stdout's lines, in any order.
    Lines(&'a [&'a str]),
    /// Exit 0 and the column titles of the table.
    Header(&'a [&'a str]),
    /// Exit 0 and the keys every JSON object at `path` (`""` for the top;
    /// `Config` for a member) must have. stdout is one array, or one
    /// object per line (`--format json` lists), or one object.
    Keys(&'a str, &'a [&'a str]),
}

/// One line of a matrix: a row (what it checks, the command line with
/// `IMG` for the image, what it compares) or a setup step between rows.
#[derive(Debug, Clone, Copy)]
pub enum Row<'a> {
    /// podman answers as docker does: skiff must give podman's exit code
    /// and the same shape.
    Same(&'a str, &'a [&'a str], Shape<'a>),
    /// [`Row::Same`], and both stderrs contain the last text.
    Saying(&'a str, &'a [&'a str], Shape<'a>, &'a str),
    /// podman differs from docker (the last text says how): skiff must give
    /// docker's answer.
    AsDocker(&'a str, &'a [&'a str], Docker<'a>, &'a str),
    /// Run in both; both must succeed (a step, not a row).
    Setup(&'a [&'a str]),
}

/// Two stores with the same image: skiff's and podman's.
pub struct Peers {
    pub skiff: Store,
    podman_dir: tempfile::TempDir,
    /// The test ground's busybox reference, pulled into both.
    pub image: String,
}

impl Peers {
    /// Both stores, with `SKIFF_TEST_BUSYBOX_IMAGE` pulled into each.
    pub fn new() -> Peers {
        let image = ground("SKIFF_TEST_BUSYBOX_IMAGE");
        let skiff = Store::new();
        let podman_dir = tempfile::Builder::new()
            .prefix("skiff-parity-podman-")
            .tempdir()
            .unwrap();
        let p = Peers {
            skiff,
            podman_dir,
            image,
        };
        p.setup(&["pull", "-q", "IMG"]);
        p
    }

    /// `args` with `IMG` replaced by the image reference.
    fn expand(&self, args: &[&str]) -> Vec<String> {
        args.iter().map(|a| a.replace("IMG", &self.image)).collect()
    }

    pub fn skiff(&self, args: &[&str]) -> Output {
        self.skiff.run(
            &self
                .expand(args)
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        )
    }

    /// podman with the same words, plus `--tls-verify=false` for the test
    /// ground's plain-HTTP registry (docker, and skiff, trust 127.0.0.0/8
    /// as an insecure registry by default; podman does not).
    pub fn podman(&self, args: &[&str]) -> Output {
        let mut words = self.expand(args);
        if matches!(words.first().map(String::as_str), Some("pull" | "push")) {
            words.insert(1, "--tls-verify=false".into());
        }
        podman(self.podman_dir.path())
            .args(&words)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// Run `args` in both; both must succeed (a step, not a row).
    pub fn setup(&self, args: &[&str]) {
        for (who, out) in [("skiff", self.skiff(args)), ("podman", self.podman(args))] {
            assert!(
                out.status.success(),
                "setup {who} {args:?} failed: {}",
                super::text(&out)
            );
        }
    }

    /// A directory for files a row copies to or from, the same in both.
    pub fn host_dir(&self) -> PathBuf {
        let d = self.skiff.root().join("host-files");
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}

impl Drop for Peers {
    fn drop(&mut self) {
        // podman's overlay mounts must go before its temp dir can.
        let _ = self.podman(&["rm", "-af", "-t", "0"]);
        let _ = self.podman(&["rmi", "-af"]);
        let _ = self.skiff(&["rm", "-f", "pc1", "pc2", "pc3", "pc4", "pl", "pq"]);
    }
}

/// One row's verdict, for the table.
struct Verdict {
    what: String,
    ok: bool,
    detail: String,
}

/// The rows run so far.
pub struct Matrix {
    pub peers: Peers,
    rows: Vec<Verdict>,
}

impl Matrix {
    pub fn new() -> Matrix {
        Matrix {
            peers: Peers::new(),
            rows: Vec::new(),
        }
    }

    /// Run `rows` in order, then [`Matrix::finish`].
    pub fn check(mut self, rows: &[Row]) {
        for row in rows {
            match *row {
                Row::Same(what, args, shape) => self.same_saying(what, args, shape, ""),
                Row::Saying(what, args, shape, says) => self.same_saying(what, args, shape, says),
                Row::AsDocker(what, args, want, differs) => self.docker(what, args, want, differs),
                Row::Setup(args) => self.peers.setup(args),
            }
        }
        self.finish();
    }

    /// A row where podman answers as docker does: skiff must give the same
    /// exit code as podman and the same `shape`, and both stderrs contain
    /// `says`.
    fn same_saying(&mut self, what: &str, args: &[&str], shape: Shape, says: &str) {
        let ours = self.peers.skiff(args);
        let theirs = self.peers.podman(args);
        let mut wrong = Vec::new();
        if ours.status.code() != theirs.status.code() {
            wrong.push(format!(
                "exit {:?}, podman {:?}",
                ours.status.code(),
                theirs.status.code()
            ));
        }
        if let Some(diff) = compare(shape, &ours, &theirs) {
            wrong.push(diff);
        }
        for (who, out) in [("skiff", &ours), ("podman", &theirs)] {
            if !stderr(out).contains(says) {
                wrong.push(format!("{who}'s stderr lacks {says:?}"));
            }
        }
        self.record(what, args, wrong, &ours, &theirs);
    }

    /// A row where podman differs from docker (`podman_differs` says how):
    /// skiff must give docker's answer `want`.
    fn docker(&mut self, what: &str, args: &[&str], want: Docker, podman_differs: &str) {
        let ours = self.peers.skiff(args);
        let theirs = self.peers.podman(args);
        let mut wrong: Vec<String> = check_docker(want, &ours).into_iter().collect();
        if !wrong.is_empty() {
            wrong.push(format!("(podman differs: {podman_differs})"));
        }
        self.record(what, args, wrong, &ours, &theirs);
    }

    fn record(
        &mut self,
        what: &str,
        args: &[&str],
        wrong: Vec<String>,
        ours: &Output,
        theirs: &Output,
    ) {
        let detail = if wrong.is_empty() {
            String::new()
        } else {
            format!(
                "{}\n    skiff {args:?}: {}\n    podman: {}",
                wrong.join("; "),
                brief(ours),
                brief(theirs)
            )
        };
        self.rows.push(Verdict {
            what: what.to_string(),
            ok: wrong.is_empty(),
            detail,
        });
    }

    /// Print the matrix; fail naming every row skiff does not match.
    fn finish(self) {
        let mut err = std::io::stderr().lock();
        let failed: Vec<&Verdict> = self.rows.iter().filter(|r| !r.ok).collect();
        for r in &self.rows {
            let _ = writeln!(err, "{} {}", if r.ok { "ok  " } else { "FAIL" }, r.what);
        }
        let report: Vec<String> = failed
            .iter()
            .map(|r| format!("{}: {}", r.what, r.detail))
            .collect();
        assert!(
            failed.is_empty(),
            "{} of {} rows differ:\n{}",
            failed.len(),
            self.rows.len(),
            report.join("\n")
        );
    }
}

/// Why `ours` differs from `theirs` in `shape`, if it does.
fn compare(shape: Shape, ours: &Output, theirs: &Output) -> Option<String> {
    let (a, b) = (stdout(ours), stdout(theirs));
    match shape {
        Shape::Exit => None,
        Shape::Stdout => (a != b).then(|| format!("stdout {a:?}, podman {b:?}")),
        Shape::Lines => {
            let (x, y) = (a.lines().count(), b.lines().count());
            (x != y).then(|| format!("{x} lines, podman {y}"))
        }
        Shape::Table => {
            let (x, y) = (header(&a), header(&b));
            let (n, m) = (a.lines().count(), b.lines().count());
            (x != y || n != m).then(|| format!("table {x:?} x{n}, podman {y:?} x{m}"))
        }
        Shape::TarHas(names) => {
            let missing = |out: &Output| -> Vec<String> {
                let list = tar_names(&out.stdout);
                names
                    .iter()
                    .filter(|n| !list.iter().any(|l| l.trim_end_matches('/') == **n))
                    .map(|n| n.to_string())
                    .collect()
            };
            let (x, y) = (missing(ours), missing(theirs));
            (!x.is_empty() || !y.is_empty())
                .then(|| format!("tar lacks {x:?}, podman's lacks {y:?}"))
        }
    }
}

/// Why `out` is not docker's `want`, if it is not.
fn check_docker(want: Docker, out: &Output) -> Option<String> {
    let code = out.status.code();
    let expect_code = match want {
        Docker::Fails(c, _) | Docker::Stdout(c, _) => c,
        _ => 0,
    };
    if code != Some(expect_code) {
        return Some(format!("exit {code:?}, docker {expect_code}"));
    }
    let text = stdout(out);
    match want {
        Docker::Fails(_, says) => {
            (!stderr(out).contains(says)).then(|| format!("stderr lacks docker's {says:?}"))
        }
        Docker::Stdout(_, s) => (text != s).then(|| format!("stdout {text:?}, docker {s:?}")),
        Docker::Lines(lines) => {
            let mut got: Vec<&str> = text.lines().collect();
            let mut want: Vec<&str> = lines.to_vec();
            got.sort_unstable();
            want.sort_unstable();
            (got != want).then(|| format!("lines {got:?}, docker {want:?}"))
        }
        Docker::Header(titles) => {
            let got = header(&text);
            (got != titles).then(|| format!("titles {got:?}, docker {titles:?}"))
        }
        Docker::Keys(path, keys) => {
            let objects = json_objects(&text);
            if objects.is_empty() {
                return Some(format!("no JSON object in {text:?}"));
            }
            let missing: Vec<String> = objects
                .iter()
                .flat_map(|o| {
                    let at = path
                        .split('.')
                        .filter(|p| !p.is_empty())
                        .fold(o, |v, p| &v[p]);
                    keys.iter()
                        .filter(|k| at.get(**k).is_none())
                        .map(|k| format!("{path}.{k}"))
                        .collect::<Vec<_>>()
                })
                .collect();
            (!missing.is_empty()).then(|| format!("docker's keys missing: {missing:?}"))
        }
    }
}

/// The column titles of a table's first line.
pub fn header(table: &str) -> Vec<String> {
    let first = table.lines().next().unwrap_or("");
    first
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(String::from)
        .collect()
}

/// The JSON objects of stdout: one array, one object, or one per line.
pub fn json_objects(text: &str) -> Vec<Value> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(v)) => v,
        Ok(v @ Value::Object(_)) => vec![v],
        _ => text
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(Value::is_object)
            .collect(),
    }
}

/// Entry names of a tar stream, by GNU tar (independent of skiff's tar).
fn tar_names(bytes: &[u8]) -> Vec<String> {
    let mut c = Command::new("tar")
        .args(["-tf", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _ = c.stdin.take().unwrap().write_all(bytes);
    let out = c.wait_with_output().unwrap();
    stdout(&out)
        .lines()
        .map(|l| l.trim_start_matches("./").to_string())
        .collect()
}

/// Exit code and the start of both streams, for a failed row.
fn brief(o: &Output) -> String {
    let cut = |s: String| s.chars().take(300).collect::<String>();
    format!(
        "exit {:?} stdout {:?} stderr {:?}",
        o.status.code(),
        cut(stdout(o)),
        cut(stderr(o))
    )
}

/// The host side of `cp` rows: a file both peers copy in.
pub fn host_file(dir: &Path, name: &str, content: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p.display().to_string()
}
