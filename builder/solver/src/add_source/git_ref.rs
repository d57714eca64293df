//! Git references in ADD, parsed by BuildKit's rules (dfgitutil.ParseGitRef,
//! gitutil.ParseURL): `http(s)://` URLs whose path ends in `.git`,
//! `git://` and `ssh://` URLs, and scp-like `user@host:path`; `#ref[:subdir]`
//! and the query keys `ref`, `tag`, `branch`, `subdir`, `checksum`/`commit`,
//! `keep-git-dir`, `submodules`, `mtime`. Anything else is not git.

// A subdir is path.Join("/", s) without the leading slash: the tree's clean.
use crate::tree::clean;

/// A parsed git source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GitRef {
    /// The URL git is given: the source without fragment and query.
    pub remote: String,
    /// Branch, tag, full ref or commit; empty: the remote's HEAD.
    pub reference: String,
    /// Clean, relative; empty for the root.
    pub subdir: String,
    pub checksum: Option<String>,
    pub keep_git_dir: Option<bool>,
    pub submodules: Option<bool>,
    /// `commit` sets every mtime to the commit time; default `checkout`.
    pub mtime_commit: bool,
}

/// `None` when `src` is not a git reference; `Some(Err)` when it is one
/// but malformed.
pub fn parse(src: &str) -> Option<Result<GitRef, String>> {
    if src.starts_with("./") || src.starts_with("../") || src.starts_with("github.com/") {
        // github.com/... is indistinguishable from a local path: BuildKit
        // treats it as one.
        return None;
    }
    let (without_frag, fragment) = match src.split_once('#') {
        Some((a, f)) => (a, Some(f)),
        None => (src, None),
    };
    let (base, query) = match without_frag.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (without_frag, None),
    };
    if let Some((proto, rest)) = base.split_once("://") {
        if proto.is_empty() || !proto.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        let proto = proto.to_ascii_lowercase();
        match proto.as_str() {
            "http" | "https" => {
                let path = rest.find('/').map(|i| &rest[i..]).unwrap_or("");
                if !path.ends_with(".git") {
                    return None;
                }
            }
            "git" | "ssh" => {}
            _ => return None,
        }
    } else if !is_scp_like(base) {
        return None;
    }
    let mut r = GitRef {
        remote: base.to_string(),
        ..Default::default()
    };
    if let Some(f) = fragment.filter(|f| !f.is_empty()) {
        let (reference, subdir) = f.split_once(':').unwrap_or((f, ""));
        r.reference = reference.to_string();
        r.subdir = clean(subdir);
    }
    if let Some(q) = query {
        if let Err(e) = load_query(&mut r, q) {
            return Some(Err(e));
        }
    }
    Some(Ok(r))
}

/// `user@host:path` (BuildKit's gitSSHRegex: the user is required).
fn is_scp_like(s: &str) -> bool {
    let Some((user, rest)) = s.split_once('@') else {
        return false;
    };
    let Some((host, _path)) = rest.split_once(':') else {
        return false;
    };
    let ok_user = !user.is_empty()
        && user
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let ok_host = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    ok_user && ok_host
}

fn load_query(r: &mut GitRef, q: &str) -> Result<(), String> {
    let (mut tag, mut branch) = (None::<String>, None::<String>);
    let mut seen = std::collections::BTreeSet::new();
    for kv in q.split('&').filter(|s| !s.is_empty()) {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        if !seen.insert(k.to_string()) {
            return Err(format!("query {k:?} has multiple values"));
        }
        let flag = |v: &str| -> Result<bool, String> {
            match v {
                "" | "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
                "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
                _ => Err(format!("invalid {k} value: {v:?}")),
            }
        };
        if v.is_empty() && !matches!(k, "submodules" | "keep-git-dir" | "fetch-by-commit") {
            return Err(format!("query {k:?} has no value"));
        }
        match k {
            "ref" => set_once(&mut r.reference, v, "ref")?,
            "tag" => tag = Some(v.to_string()),
            "branch" => branch = Some(v.to_string()),
            "subdir" => {
                let s = clean(v);
                if !r.subdir.is_empty() && r.subdir != s {
                    return Err(format!("subdir conflicts: {:?} vs {s:?}", r.subdir));
                }
                r.subdir = s;
            }
            "checksum" | "commit" => r.checksum = Some(v.to_string()),
            "keep-git-dir" => r.keep_git_dir = Some(flag(v)?),
            "submodules" => r.submodules = Some(flag(v)?),
            // Accepted: skiff always fetches what it checks out.
            "fetch-by-commit" => {
                flag(v)?;
            }
            "mtime" => match v {
                "checkout" => r.mtime_commit = false,
                "commit" => r.mtime_commit = true,
                _ => {
                    return Err(format!(
                        "invalid mtime value: {v:?} (must be \"checkout\" or \"commit\")"
                    ))
                }
            },
            _ => return Err(format!("unexpected query {k:?}")),
        }
    }
    if let Some(t) = &tag {
        let full = if t.starts_with("refs/tags/") {
            t.clone()
        } else {
            format!("refs/tags/{t}")
        };
        set_once(&mut r.reference, &full, "ref")?;
    }
    if let Some(b) = &branch {
        if tag.is_some() {
            return Err("branch conflicts with tag".into());
        }
        let full = if b.starts_with("refs/heads/") {
            b.clone()
        } else {
            format!("refs/heads/{b}")
        };
        set_once(&mut r.reference, &full, "ref")?;
    }
    Ok(())
}

fn set_once(slot: &mut String, v: &str, what: &str) -> Result<(), String> {
    if !slot.is_empty() && slot != v {
        return Err(format!("{what} conflicts: {slot:?} vs {v:?}"));
    }
    *slot = v.to_string();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_or_not() {
        assert!(parse("https://h/x/file.tar.gz").is_none());
        assert!(parse("github.com/a/b").is_none());
        assert!(parse("src/file").is_none());
        assert!(parse("a:b").is_none());
        let r = parse("https://h/r.git#v1:sub/../dir/").unwrap().unwrap();
        assert_eq!(r.remote, "https://h/r.git");
        assert_eq!((r.reference.as_str(), r.subdir.as_str()), ("v1", "dir"));
        let r = parse("git@github.com:o/r.git#main").unwrap().unwrap();
        assert_eq!(r.remote, "git@github.com:o/r.git");
        let r = parse("git://127.0.0.1:9/r?branch=dev&keep-git-dir=1")
            .unwrap()
            .unwrap();
        assert_eq!(r.reference, "refs/heads/dev");
        assert_eq!(r.keep_git_dir, Some(true));
        assert!(parse("git://h/r?bogus=1").unwrap().is_err());
        assert!(parse("https://h/r.git?tag=a&branch=b").unwrap().is_err());
    }
}
