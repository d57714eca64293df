//! `skiff cp CTR:SRC -`: a container path as a tar on stdout, written by
//! the builder's tar writer (the one that writes layers). The other way,
//! `cp - CTR:DIR`, is skiff-runtime's `cp::untar`.

use std::io::Write;
use std::path::Path;

use skiff_runtime::cp::source;
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
