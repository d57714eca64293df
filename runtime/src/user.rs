//! `-u` / image `User` resolution against the image's own /etc/passwd and
//! /etc/group, with docker's rules: `name`, `uid`, `name:group`, `uid:gid`,
//! numeric ids need no entry, names must exist; supplementary groups are the
//! groups listing the user; HOME comes from the passwd entry.

use std::io::ErrorKind;
use std::path::Path;

use skiff_core::inroot::Root;

use crate::error::{Error, Result};

/// The largest /etc/passwd or /etc/group read: far above any real one, and
/// a bound on what a hostile image can make skiff hold in memory.
const MAX_ACCOUNT_FILE: u64 = 4 << 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedUser {
    pub uid: u32,
    pub gid: u32,
    pub additional_gids: Vec<u32>,
    pub home: String,
}

/// An /etc/passwd entry.
pub(crate) struct Passwd {
    pub(crate) name: String,
    pub(crate) uid: u32,
    gid: u32,
    home: String,
}

struct Group {
    name: String,
    gid: u32,
    members: Vec<String>,
}

impl Passwd {
    /// `name:password:uid:gid:gecos:home:shell`
    fn parse(f: &[&str]) -> Option<Passwd> {
        match f {
            [name, _, uid, gid, _, home, ..] => Some(Passwd {
                name: name.to_string(),
                uid: uid.parse().ok()?,
                gid: gid.parse().ok()?,
                home: home.to_string(),
            }),
            _ => None,
        }
    }
}

impl Group {
    /// `name:password:gid[:member,member...]`
    fn parse(f: &[&str]) -> Option<Group> {
        match f {
            [name, _, gid, rest @ ..] => Some(Group {
                name: name.to_string(),
                gid: gid.parse().ok()?,
                members: rest
                    .first()
                    .map(|m| {
                        m.split(',')
                            .filter(|s| !s.is_empty())
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default(),
            }),
            _ => None,
        }
    }
}

/// The entries of `file` inside the rootfs ([`parse_entries`]). A missing
/// file has no entries (scratch images have none); a FIFO, a device, a symlink
/// loop or a huge file is an error naming it, never a hang or a read
/// outside the rootfs.
fn entries<T>(root: &Root, file: &str, parse: fn(&[&str]) -> Option<T>) -> Result<Vec<T>> {
    let data = match root.read_regular(file, MAX_ACCOUNT_FILE) {
        Ok(d) => d,
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
            return Ok(Vec::new())
        }
        Err(e) => return Err(e.into()),
    };
    Ok(parse_entries(&String::from_utf8_lossy(&data), parse))
}

/// An account file's entries: its non-comment lines split on `:` and
/// parsed by `parse` (lines it refuses are skipped).
fn parse_entries<T>(text: &str, parse: fn(&[&str]) -> Option<T>) -> Vec<T> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| parse(&l.split(':').collect::<Vec<_>>()))
        .collect()
}

/// The host's own /etc/passwd (none when unreadable), for what docker
/// names with the host's users (`top`, whose ps runs on the host).
pub(crate) fn host_passwd() -> Vec<Passwd> {
    std::fs::read_to_string("/etc/passwd")
        .map(|text| parse_entries(&text, Passwd::parse))
        .unwrap_or_default()
}

/// Resolve `spec` (empty = root) inside `rootfs`; `group_add` are extra
/// groups (names or ids) as `--group-add` gives them.
pub fn resolve(rootfs: &Path, spec: &str, group_add: &[String]) -> Result<ResolvedUser> {
    let (user_part, group_part) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let user_part = if user_part.is_empty() { "0" } else { user_part };
    let root = Root::new(rootfs)?;
    let users = entries(&root, "/etc/passwd", Passwd::parse)?;
    let groups = entries(&root, "/etc/group", Group::parse)?;

    let entry = match user_part.parse::<u32>() {
        Ok(uid) => users.iter().find(|p| p.uid == uid),
        Err(_) => Some(users.iter().find(|p| p.name == user_part).ok_or_else(|| {
            Error::Invalid(format!(
                "unable to find user {user_part}: no matching entries in passwd file"
            ))
        })?),
    };
    let uid = match user_part.parse::<u32>() {
        Ok(uid) => uid,
        Err(_) => entry.map(|p| p.uid).unwrap_or(0),
    };
    let home = entry
        .map(|p| p.home.clone())
        .unwrap_or_else(|| "/".to_string());

    let lookup_group = |g: &str| -> Result<u32> {
        match g.parse::<u32>() {
            Ok(gid) => Ok(gid),
            Err(_) => groups
                .iter()
                .find(|e| e.name == g)
                .map(|e| e.gid)
                .ok_or_else(|| {
                    Error::Invalid(format!(
                        "unable to find group {g}: no matching entries in group file"
                    ))
                }),
        }
    };

    let gid = match group_part {
        Some(g) if !g.is_empty() => lookup_group(g)?,
        _ => entry.map(|p| p.gid).unwrap_or(0),
    };

    // docker (libcontainer/user) adds the groups that list the user by
    // name, but only when no explicit group was given.
    // The primary group is listed among the supplementary ones, as docker
    // and podman do (`id` prints `groups=1000(user)`).
    let mut additional: Vec<u32> = vec![gid];
    if group_part.is_none() {
        if let Some(p) = entry {
            for g in &groups {
                if g.members.iter().any(|m| m == &p.name) && !additional.contains(&g.gid) {
                    additional.push(g.gid);
                }
            }
        }
    }
    for g in group_add {
        let gid = lookup_group(g)?;
        if !additional.contains(&gid) {
            additional.push(gid);
        }
    }
    Ok(ResolvedUser {
        uid,
        gid,
        additional_gids: additional,
        home,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rootfs() -> tempfile::TempDir {
        skiff_core::testing::temp_tree(&[
            (
                "etc/passwd",
                "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:u:/home/user:/bin/sh\nnobody:x:65534:65534:n:/nonexistent:/bin/false\n",
            ),
            (
                "etc/group",
                "root:x:0:\nwheel:x:10:root,user\nuser:x:1000:\naudio:x:29:user\nnogroup:x:65534:\n",
            ),
        ])
    }

    #[test]
    fn names_ids_and_groups() {
        let d = rootfs();
        let r = resolve(d.path(), "", &[]).unwrap();
        assert_eq!((r.uid, r.gid, r.home.as_str()), (0, 0, "/root"));
        assert_eq!(r.additional_gids, vec![0, 10]);
        let u = resolve(d.path(), "user", &[]).unwrap();
        assert_eq!((u.uid, u.gid), (1000, 1000));
        assert_eq!(u.additional_gids, vec![1000, 10, 29]);
        let n = resolve(d.path(), "nobody", &[]).unwrap();
        assert_eq!((n.uid, n.gid), (65534, 65534));
        let x = resolve(d.path(), "1000:1000", &[]).unwrap();
        assert_eq!(
            (x.uid, x.gid, x.additional_gids.clone()),
            (1000, 1000, vec![1000])
        );
        let y = resolve(d.path(), "4242", &[]).unwrap();
        assert_eq!((y.uid, y.gid, y.home.as_str()), (4242, 0, "/"));
        let z = resolve(d.path(), "user:audio", &["wheel".into()]).unwrap();
        assert_eq!(
            (z.uid, z.gid, z.additional_gids.clone()),
            (1000, 29, vec![29, 10])
        );
        assert!(resolve(d.path(), "ghost", &[]).is_err());
        assert!(resolve(d.path(), "user:ghosts", &[]).is_err());
    }

    // Issue 13, item 8: a FIFO at /etc/passwd made the old read block
    // forever waiting for a writer; now it is an error naming the file.
    #[test]
    fn a_fifo_passwd_is_an_error_at_once() {
        let d = rootfs();
        let p = d.path().join("etc/passwd");
        std::fs::remove_file(&p).unwrap();
        let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo(3) with a valid path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        let t = std::time::Instant::now();
        let e = resolve(d.path(), "user", &[]).unwrap_err().to_string();
        assert!(t.elapsed() < std::time::Duration::from_secs(1));
        assert!(e.contains("/etc/passwd"), "{e}");
        assert!(e.contains("not a regular file"), "{e}");
    }

    #[test]
    fn missing_files_mean_no_entries_and_links_stay_inside() {
        let d = tempfile::tempdir().unwrap();
        let r = resolve(d.path(), "1000:1000", &[]).unwrap();
        assert_eq!((r.uid, r.gid, r.home.as_str()), (1000, 1000, "/"));
        assert!(resolve(d.path(), "root", &[]).is_err());
        // /etc/passwd -> ../../../../etc/passwd is the image's own file.
        let img = rootfs();
        std::fs::create_dir(d.path().join("etc")).unwrap();
        std::fs::copy(img.path().join("etc/passwd"), d.path().join("etc/real")).unwrap();
        std::os::unix::fs::symlink("../../../../etc/real", d.path().join("etc/passwd")).unwrap();
        assert_eq!(resolve(d.path(), "user", &[]).unwrap().uid, 1000);
    }
}
