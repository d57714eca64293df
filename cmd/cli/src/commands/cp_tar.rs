//! `skiff cp`'s tar side: a container path as a tar on stdout (`cp
//! CTR:SRC -`), and a tar on stdin extracted into a container directory
//! (`cp - CTR:DIR`). Archives are written by the builder's tar writer (the
//! one that writes layers) and read with the tar crate; every entry of an
//! incoming archive is cleaned lexically (no absolute names, no `..` above
//! the destination) and then created inside the container's root by
//! skiff-runtime's `cp::target`, which never follows a symlink the
//! container or an earlier entry planted.

use std::io::{ErrorKind, Read, Write};
use std::path::{Component, Path, PathBuf};

use skiff_runtime::cp::{source, target};
use skiff_solver::layer::tarball::{EntryMeta, TarWriter};
use skiff_solver::layer::TarOptions;
use tar::EntryType;

use super::refused::daemon;

/// Write `path` of the container (and what is below it) to stdout as a
/// tar whose top entry is named `top`.
pub fn write_tar(
    src: &source::Source,
    path: &str,
    follow: bool,
    top: &Path,
) -> anyhow::Result<i32> {
    let out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    let mut w = TarWriter::new(out, TarOptions::default());
    let res = src.walk(path, follow, top, &mut |mut e| {
        let fmt = e.st.st_mode & libc::S_IFMT;
        let kind = match fmt {
            libc::S_IFDIR => EntryType::Directory,
            libc::S_IFREG => EntryType::Regular,
            libc::S_IFLNK => EntryType::Symlink,
            libc::S_IFCHR => EntryType::Char,
            libc::S_IFBLK => EntryType::Block,
            libc::S_IFIFO => EntryType::Fifo,
            _ => return Ok(()), // sockets cannot be archived
        };
        // time_t is 32-bit on armhf: the conversion is real there.
        #[allow(clippy::useless_conversion)]
        let mtime = i64::from(e.st.st_mtime);
        let meta = EntryMeta {
            kind,
            mode: e.st.st_mode & 0o7777,
            uid: u64::from(e.st.st_uid),
            gid: u64::from(e.st.st_gid),
            mtime,
            size: if kind == EntryType::Regular {
                e.st.st_size as u64
            } else {
                0
            },
            link: e
                .link
                .as_ref()
                .map(|l| l.as_os_str().as_encoded_bytes().to_vec()),
            dev: matches!(kind, EntryType::Char | EntryType::Block)
                .then(|| (libc::major(e.st.st_rdev), libc::minor(e.st.st_rdev))),
            xattrs: Vec::new(),
        };
        let data = e.file.take().map(|f| (e.name.as_path(), f));
        w.write_entry(&e.name, &meta, data)
            .map_err(|err| skiff_runtime::Error::Invalid(err.to_string()))
    });
    let done = res.map_err(anyhow::Error::from).and_then(|()| {
        let mut out = w.finish()?;
        out.flush()?;
        Ok(())
    });
    match done {
        Ok(()) => Ok(0),
        // A reader that stopped early (`| tar t | head`).
        Err(e) if e.chain().any(|c| c.to_string().contains("Broken pipe")) => Ok(0),
        Err(e) => daemon(Err(e)),
    }
}

/// `name` of an incoming entry as a path below `dir`, or None for one that
/// names `dir` itself. `..` never climbs above `dir`.
fn below(dir: &Path, name: &Path) -> Option<PathBuf> {
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for c in name.components() {
        match c {
            Component::Normal(p) => parts.push(p),
            Component::ParentDir => {
                parts.pop();
            }
            _ => {}
        }
    }
    if parts.is_empty() {
        return None;
    }
    Some(parts.iter().fold(dir.to_path_buf(), |p, c| p.join(c)))
}

/// Extract the tar on `input` into directory `dir` of the container:
/// root-owned entries unless `keep_owner` (`-a`), as docker does.
pub fn extract(
    tgt: &target::Target,
    dir: &Path,
    input: &mut dyn Read,
    keep_owner: bool,
) -> anyhow::Result<()> {
    let mut ar = tar::Archive::new(input);
    for entry in ar.entries()? {
        let mut entry = entry?;
        let name = entry.path()?.into_owned();
        let Some(at) = below(dir, &name) else {
            continue;
        };
        let h = entry.header();
        let meta = target::Meta {
            mode: h.mode()?,
            uid: if keep_owner { h.uid()? as u32 } else { 0 },
            gid: if keep_owner { h.gid()? as u32 } else { 0 },
            mtime: h.mtime()? as i64,
        };
        match h.entry_type() {
            EntryType::Directory => tgt.mkdir(&at, meta)?,
            EntryType::Regular | EntryType::Continuous => {
                tgt.file(&at, meta, &mut entry)?;
            }
            EntryType::Symlink => {
                let link = entry
                    .link_name()?
                    .ok_or_else(|| {
                        std::io::Error::new(ErrorKind::InvalidData, "symlink without target")
                    })?
                    .into_owned();
                tgt.symlink(&at, &link, meta)?;
            }
            EntryType::XGlobalHeader | EntryType::XHeader => {}
            other => anyhow::bail!(
                "{}: {other:?} entries cannot be copied into a container by skiff",
                name.display()
            ),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incoming_names_stay_below_the_destination() {
        let d = Path::new("/dst");
        assert_eq!(below(d, Path::new("a/b")), Some(PathBuf::from("/dst/a/b")));
        assert_eq!(
            below(d, Path::new("/etc/passwd")),
            Some(PathBuf::from("/dst/etc/passwd"))
        );
        assert_eq!(
            below(d, Path::new("../../etc/x")),
            Some(PathBuf::from("/dst/etc/x"))
        );
        assert_eq!(below(d, Path::new("./")), None);
    }
}
