//! `--chown` and `USER` names resolved in the stage's own /etc/passwd and
//! /etc/group, as BuildKit does (never the host's).

use crate::tree::{read_small, Tree};

/// `user[:group]` → (uid, gid). A user name without a group takes the
/// user's primary group from /etc/passwd; a numeric uid without a group
/// takes the uid itself as gid (BuildKit's file op, unlike RUN's USER).
pub fn resolve(spec: &str, tree: &dyn Tree) -> Result<(u32, u32), String> {
    let (user, group) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let passwd = read_small(tree, "/etc/passwd").unwrap_or_default();
    let passwd = String::from_utf8_lossy(&passwd);
    let (uid, primary) = match user.parse::<u32>() {
        Ok(n) => (n, n),
        Err(_) => lookup_passwd(&passwd, user).ok_or_else(|| {
            format!("unable to find user {user}: no matching entries in passwd file")
        })?,
    };
    let gid = match group {
        None => primary,
        Some(g) => match g.parse::<u32>() {
            Ok(n) => n,
            Err(_) => {
                let groups = read_small(tree, "/etc/group").unwrap_or_default();
                lookup_group(&String::from_utf8_lossy(&groups), g).ok_or_else(|| {
                    format!("unable to find group {g}: no matching entries in group file")
                })?
            }
        },
    };
    Ok((uid, gid))
}

fn lookup_passwd(passwd: &str, name: &str) -> Option<(u32, u32)> {
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() >= 4 && f[0] == name).then(|| Some((f[2].parse().ok()?, f[3].parse().ok()?)))?
    })
}

fn lookup_group(groups: &str, name: &str) -> Option<u32> {
    groups.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() >= 3 && f[0] == name).then(|| f[2].parse().ok())?
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::DirTree;
    use skiff_core::testing::temp_tree;

    #[test]
    fn names_from_the_image() {
        let d = temp_tree(&[
            (
                "etc/passwd",
                "root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n",
            ),
            ("etc/group", "root:x:0:\nstaff:x:50:\n"),
        ]);
        let t = DirTree::new(d.path()).unwrap();
        assert_eq!(resolve("app", &t).unwrap(), (1000, 1001));
        assert_eq!(resolve("app:staff", &t).unwrap(), (1000, 50));
        assert_eq!(resolve("1000", &t).unwrap(), (1000, 1000));
        assert_eq!(resolve("1234", &t).unwrap(), (1234, 1234));
        assert_eq!(resolve("42:7", &t).unwrap(), (42, 7));
        assert!(resolve("nobody", &t).is_err());
    }
}
