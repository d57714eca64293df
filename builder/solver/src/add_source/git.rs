//! `ADD <git ref>`: the host's `git`, as BuildKit runs it. The reference is
//! resolved to a commit with `git ls-remote` (that commit is the cache
//! key), then fetched shallowly into a private temp dir and checked out
//! with umask 022 (files 0644/0755, directories 0755, as BuildKit's
//! checkout). `.git` is removed unless `--keep-git-dir` (kept only when no
//! subdir is asked, as in BuildKit). Every git run is bounded in time, and
//! the temp dir in size (the layer limit), by killing git.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::git_ref::GitRef;

/// One git command may run this long (a fetch of a large repository).
const GIT_DEADLINE: Duration = Duration::from_secs(1800);

/// Bounds of one git source.
#[derive(Debug, Clone, Copy)]
pub struct GitLimits {
    pub max_bytes: u64,
    pub deadline: Duration,
}

impl GitLimits {
    pub fn new(max_bytes: u64) -> Self {
        GitLimits {
            max_bytes,
            deadline: GIT_DEADLINE,
        }
    }
}

/// A full commit id (sha1 or sha256).
pub fn is_commit(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The commit `r` names. A full commit id needs no network; a branch or
/// tag is asked of the remote (branches win, as in git checkout).
pub fn resolve(r: &GitRef, lim: GitLimits) -> Result<String, String> {
    if let Some(c) = &r.checksum {
        if c.is_empty() || !c.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!(
                "invalid checksum {c} for Git URL, expected hex commit hash"
            ));
        }
    }
    let sha = if is_commit(&r.reference) {
        r.reference.to_ascii_lowercase()
    } else {
        let reference = if r.reference.is_empty() {
            default_branch(r, lim)?
        } else {
            r.reference.clone()
        };
        let peeled = format!("{reference}^{{}}");
        let out = git(
            None,
            &["ls-remote", "--", &r.remote, &reference, &peeled],
            lim,
        )?;
        pick(&out, &reference)
            .ok_or_else(|| format!("repository {} does not contain ref {reference}", r.remote))?
    };
    if let Some(c) = &r.checksum {
        if !sha.starts_with(&c.to_ascii_lowercase()) {
            return Err(format!("expected checksum to match {c}, got {sha}"));
        }
    }
    Ok(sha)
}

/// BuildKit's choice among ls-remote's lines: `refs/<ref>` exactly, else
/// the branch, else the tag (peeled to its commit when annotated).
fn pick(out: &str, reference: &str) -> Option<String> {
    let short = reference.trim_start_matches("refs/");
    let exact = format!("refs/{short}");
    let head = format!("refs/heads/{}", reference.trim_start_matches("refs/heads/"));
    let tag = format!("refs/tags/{}", reference.trim_start_matches("refs/tags/"));
    let peeled = format!("{tag}^{{}}");
    let (mut e, mut h, mut t, mut p) = (None, None, None, None);
    for line in out.lines() {
        let Some((sha, name)) = line.split_once('\t') else {
            continue;
        };
        let sha = Some(sha.trim().to_string());
        if name == head {
            h = sha;
        } else if name == peeled {
            p = sha;
        } else if name == tag {
            t = sha;
        } else if name == exact {
            e = sha;
        }
    }
    e.or(h).or(p).or(t).filter(|s| is_commit(s))
}

fn default_branch(r: &GitRef, lim: GitLimits) -> Result<String, String> {
    let out = git(None, &["ls-remote", "--symref", &r.remote, "HEAD"], lim)?;
    out.lines()
        .find_map(|l| {
            let rest = l.strip_prefix("ref: ")?;
            let (reference, name) = rest.split_once('\t')?;
            (name.trim() == "HEAD").then(|| reference.trim().to_string())
        })
        .ok_or_else(|| format!("could not find default branch for repository: {}", r.remote))
}

/// Fetch `commit` of `r` and check it out into `work` (an empty dir);
/// returns the directory to copy from (`work` or its subdir).
pub fn checkout(
    r: &GitRef,
    commit: &str,
    keep_git_dir: bool,
    work: &Path,
    lim: GitLimits,
) -> Result<std::path::PathBuf, String> {
    let w = Some(work);
    git(w, &["-c", "init.defaultBranch=master", "init", "-q"], lim)?;
    git(w, &["remote", "add", "origin", &r.remote], lim)?;
    let reference = if r.reference.is_empty() || is_commit(&r.reference) {
        commit.to_string()
    } else {
        r.reference.clone()
    };
    let shallow = git(
        w,
        &[
            "fetch",
            "-q",
            "--depth=1",
            "--no-tags",
            "origin",
            &reference,
        ],
        lim,
    );
    if shallow.is_err()
        || git(w, &["cat-file", "-e", &format!("{commit}^{{commit}}")], lim).is_err()
    {
        // Servers that refuse a commit id in want (git daemon's default),
        // or a ref that moved since ls-remote: fetch everything.
        git(
            w,
            &[
                "fetch",
                "-q",
                "origin",
                "+refs/heads/*:refs/remotes/origin/*",
                "+refs/tags/*:refs/tags/*",
            ],
            lim,
        )
        .map_err(|e| format!("fetching {}: {e}", r.remote))?;
    }
    git(w, &["checkout", "-q", "--detach", commit], lim)
        .map_err(|e| format!("failed to checkout remote {}: {e}", r.remote))?;
    if r.submodules != Some(false) && work.join(".gitmodules").exists() {
        git(
            w,
            &["submodule", "update", "--init", "--recursive", "--depth=1"],
            lim,
        )
        .map_err(|e| format!("failed to update submodules for {}: {e}", r.remote))?;
    }
    if r.mtime_commit {
        let t = git(w, &["log", "-1", "--format=%ct", commit], lim)?;
        let t: i64 = t
            .trim()
            .parse()
            .map_err(|_| format!("bad commit time {t:?}"))?;
        set_tree_times(work, t).map_err(|e| format!("{}: {e}", work.display()))?;
    }
    let keep = keep_git_dir && r.subdir.is_empty();
    if keep {
        git(w, &["reflog", "expire", "--all", "--expire=now"], lim)?;
        let _ = std::fs::remove_file(work.join(".git/FETCH_HEAD"));
    } else {
        std::fs::remove_dir_all(work.join(".git"))
            .map_err(|e| format!("{}: {e}", work.display()))?;
    }
    if r.subdir.is_empty() {
        return Ok(work.to_path_buf());
    }
    // Every component a real directory: a symlink must not lead the copy
    // out of the checkout (BuildKit's validateDirsOnly).
    let mut p = work.to_path_buf();
    for c in r.subdir.split('/') {
        p.push(c);
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => {}
            _ => {
                return Err(format!(
                    "invalid subdir {}: not a directory in {}",
                    r.subdir, r.remote
                ))
            }
        }
    }
    Ok(p)
}

fn set_tree_times(p: &Path, t: i64) -> std::io::Result<()> {
    let md = std::fs::symlink_metadata(p)?;
    if md.is_dir() {
        for e in std::fs::read_dir(p)? {
            set_tree_times(&e?.path(), t)?;
        }
    }
    skiff_core::times::set_times(p, t, 0)
}

/// Run git (in `dir`, or nowhere in particular), with BuildKit's umask and
/// no prompts; its stdout, or an error with the end of its stderr. git is
/// killed past the deadline, or when `dir` outgrows the size limit.
fn git(dir: Option<&Path>, args: &[&str], lim: GitLimits) -> Result<String, String> {
    let mut cmd = Command::new("git");
    // A hostile repository's submodules must not read the host's files.
    cmd.args(["-c", "protocol.file.allow=never"]);
    cmd.args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_ASKPASS", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    // SAFETY: umask is async-signal-safe and touches only the child.
    unsafe {
        cmd.pre_exec(|| {
            libc::umask(0o022);
            Ok(())
        });
    }
    let mut child = cmd.spawn().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            "git sources need the git command, and it was not found in PATH".to_string()
        } else {
            format!("running git: {e}")
        }
    })?;
    // Drain the pipes on threads so a chatty git never blocks on them.
    let mut so = child.stdout.take();
    let mut se = child.stderr.take();
    let out_t = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(o) = so.as_mut() {
            let _ = o.take(16 << 20).read_to_string(&mut s);
        }
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(e) = se.as_mut() {
            let _ = e.take(1 << 20).read_to_string(&mut s);
        }
        s
    });
    let start = Instant::now();
    let mut last_size_check = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Ok(s),
            Ok(None) => {}
            Err(e) => break Err(format!("waiting for git: {e}")),
        }
        if start.elapsed() > lim.deadline {
            let _ = child.kill();
            let _ = child.wait();
            break Err(format!(
                "git {} did not finish in {}s",
                args[0],
                lim.deadline.as_secs()
            ));
        }
        if let Some(d) = dir {
            if last_size_check.elapsed() > Duration::from_millis(500) {
                last_size_check = Instant::now();
                if skiff_store::dir_size_of(d) > lim.max_bytes {
                    let _ = child.kill();
                    let _ = child.wait();
                    break Err(format!(
                        "the repository is larger than the {} bytes limit (SKIFF_MAX_LAYER_SIZE)",
                        lim.max_bytes
                    ));
                }
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = out_t.join().unwrap_or_default();
    let err = err_t.join().unwrap_or_default();
    let status = status?;
    if let Some(d) = dir {
        if skiff_store::dir_size_of(d) > lim.max_bytes {
            return Err(format!(
                "the repository is larger than the {} bytes limit (SKIFF_MAX_LAYER_SIZE)",
                lim.max_bytes
            ));
        }
    }
    if !status.success() {
        let tail: Vec<&str> = err.lines().rev().take(5).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(format!("git {} failed: {}", args[0], tail.join("; ")));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branches_win_and_tags_peel() {
        let a = "a".repeat(40);
        let b = "b".repeat(40);
        let c = "c".repeat(40);
        let out = format!("{a}\trefs/tags/v1\n{b}\trefs/tags/v1^{{}}\n");
        assert_eq!(pick(&out, "v1"), Some(b.clone()));
        let out = format!("{a}\trefs/tags/x\n{c}\trefs/heads/x\n");
        assert_eq!(pick(&out, "x"), Some(c));
        assert_eq!(pick("", "x"), None);
    }
}
