//! A directory → a layer tar.
//!
//! The directory is either an overlay upper dir left by a RUN step or a
//! directory skiff filled for COPY/ADD. We write the tar ourselves on top of
//! `tar::Header` instead of `tar::Builder::append_dir_all` because that one
//! follows symlinks, drops xattrs, duplicates hardlinked data and knows
//! nothing of overlay whiteouts.
//!
//! What makes the output deterministic: entries sorted by name within each
//! directory (parents before children), numeric owners only, no user/group
//! names, no access/change times, PAX records in a fixed order, and mtimes
//! clamped to `SOURCE_DATE_EPOCH` when it is set.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use tar::{EntryType, Header};

use super::LayerError;

/// overlayfs marks a directory whose lower contents are hidden with this xattr.
const OPAQUE_XATTR: &str = "trusted.overlay.opaque";
/// AUFS-style whiteout prefix, what image layers carry.
pub const WHITEOUT_PREFIX: &str = ".wh.";
/// AUFS-style opaque-directory marker inside a directory.
pub const OPAQUE_MARKER: &str = ".wh..wh..opq";

/// How to turn a directory into a tar.
#[derive(Debug, Clone, Default)]
pub struct TarOptions {
    /// `SOURCE_DATE_EPOCH`: no entry gets an mtime later than this.
    pub source_date_epoch: Option<i64>,
    /// Translate overlay whiteouts (0/0 char devices, opaque xattrs) into
    /// `.wh.` entries. On for upper dirs; off when exporting a plain rootfs.
    pub overlay_whiteouts: bool,
}

/// What went into the tar.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TarStats {
    /// Number of entries written (PAX headers not counted).
    pub entries: u64,
}

/// Write the contents of `root` (not `root` itself) as a tar into `out`,
/// including the two zero blocks that end an archive.
pub fn write_dir_tar<W: Write>(
    root: &Path,
    out: W,
    opts: &TarOptions,
) -> Result<(W, TarStats), LayerError> {
    let mut w = TarWriter::new(out, opts.clone());
    w.walk(root, Path::new(""))?;
    let stats = TarStats { entries: w.entries };
    let out = w.finish().map_err(|e| LayerError::io(root, e))?;
    Ok((out, stats))
}

/// Whether `root` holds nothing at all: such a step emits no layer.
pub fn dir_is_empty(root: &Path) -> Result<bool, LayerError> {
    let mut it = fs::read_dir(root).map_err(|e| LayerError::io(root, e))?;
    Ok(it.next().is_none())
}

/// Streams entries one by one; also usable directly by callers that build a
/// layer from something other than a directory (squash, exporters).
pub struct TarWriter<W: Write> {
    out: W,
    opts: TarOptions,
    /// (dev, inode) of files with several links → the path written first.
    links: HashMap<(u64, u64), PathBuf>,
    entries: u64,
}

/// One entry's metadata, independent of where it came from.
#[derive(Debug, Clone)]
pub struct EntryMeta {
    pub kind: EntryType,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub mtime: i64,
    pub size: u64,
    pub link: Option<Vec<u8>>,
    pub dev: Option<(u32, u32)>,
    pub xattrs: Vec<(String, Vec<u8>)>,
}

impl<W: Write> TarWriter<W> {
    pub fn new(out: W, opts: TarOptions) -> Self {
        TarWriter {
            out,
            opts,
            links: HashMap::new(),
            entries: 0,
        }
    }

    pub fn entries(&self) -> u64 {
        self.entries
    }

    /// Write the end-of-archive marker and hand back the sink.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.write_all(&[0u8; 1024])?;
        Ok(self.out)
    }

    /// Recursively add the children of `dir`, named under `rel`.
    pub fn walk(&mut self, dir: &Path, rel: &Path) -> Result<(), LayerError> {
        let mut names: Vec<OsString> = fs::read_dir(dir)
            .map_err(|e| LayerError::io(dir, e))?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<Result<_, _>>()
            .map_err(|e| LayerError::io(dir, e))?;
        names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        for name in names {
            let path = dir.join(&name);
            let rel_child = rel.join(&name);
            self.add_path(&path, &rel_child)?;
        }
        Ok(())
    }

    /// Add one filesystem object (and, for a directory, everything below it).
    pub fn add_path(&mut self, path: &Path, rel: &Path) -> Result<(), LayerError> {
        let md = fs::symlink_metadata(path).map_err(|e| LayerError::io(path, e))?;
        let ft = md.file_type();
        if ft.is_socket() {
            // docker and BuildKit skip sockets: they cannot be recreated.
            return Ok(());
        }
        if self.opts.overlay_whiteouts && ft.is_char_device() && md.rdev() == 0 {
            let name = rel.file_name().unwrap_or_default();
            let mut wh = OsString::from(WHITEOUT_PREFIX);
            wh.push(name);
            let wh_path = rel.with_file_name(wh);
            let meta = self.base_meta(&md, EntryType::Regular, Vec::new());
            return self.write_entry(&wh_path, &meta, None);
        }
        let xattrs = read_xattrs(path)?;
        if ft.is_dir() {
            let opaque = self.opts.overlay_whiteouts
                && matches!(xattr::get(path, OPAQUE_XATTR), Ok(Some(v)) if v == b"y");
            let meta = self.base_meta(&md, EntryType::Directory, xattrs);
            self.write_entry(rel, &meta, None)?;
            if opaque {
                let mut m = self.base_meta(&md, EntryType::Regular, Vec::new());
                m.mode = 0o644;
                self.write_entry(&rel.join(OPAQUE_MARKER), &m, None)?;
            }
            return self.walk(path, rel);
        }
        if ft.is_symlink() {
            let target = fs::read_link(path).map_err(|e| LayerError::io(path, e))?;
            let mut meta = self.base_meta(&md, EntryType::Symlink, xattrs);
            meta.link = Some(target.as_os_str().as_bytes().to_vec());
            return self.write_entry(rel, &meta, None);
        }
        if md.nlink() > 1 {
            let key = (md.dev(), md.ino());
            if let Some(first) = self.links.get(&key) {
                let mut meta = self.base_meta(&md, EntryType::Link, Vec::new());
                meta.link = Some(first.as_os_str().as_bytes().to_vec());
                return self.write_entry(rel, &meta, None);
            }
            self.links.insert(key, rel.to_path_buf());
        }
        if ft.is_file() {
            let mut meta = self.base_meta(&md, EntryType::Regular, xattrs);
            meta.size = md.len();
            let f = File::open(path).map_err(|e| LayerError::io(path, e))?;
            return self.write_entry(rel, &meta, Some((path, f)));
        }
        let kind = if ft.is_char_device() {
            EntryType::Char
        } else if ft.is_block_device() {
            EntryType::Block
        } else {
            EntryType::Fifo
        };
        let mut meta = self.base_meta(&md, kind, xattrs);
        if kind != EntryType::Fifo {
            let rdev = md.rdev();
            meta.dev = Some((libc::major(rdev), libc::minor(rdev)));
        }
        self.write_entry(rel, &meta, None)
    }

    fn base_meta(
        &self,
        md: &fs::Metadata,
        kind: EntryType,
        xattrs: Vec<(String, Vec<u8>)>,
    ) -> EntryMeta {
        EntryMeta {
            kind,
            mode: md.mode() & 0o7777,
            uid: u64::from(md.uid()),
            gid: u64::from(md.gid()),
            mtime: md.mtime(),
            size: 0,
            link: None,
            dev: None,
            xattrs,
        }
    }

    /// Write one entry: a PAX header first when the ustar fields cannot hold
    /// everything (long names, xattrs, big ids or sizes), then the ustar
    /// header, then the data padded to 512 bytes.
    pub fn write_entry(
        &mut self,
        rel: &Path,
        meta: &EntryMeta,
        data: Option<(&Path, File)>,
    ) -> Result<(), LayerError> {
        let mut name = rel.as_os_str().as_bytes().to_vec();
        if meta.kind == EntryType::Directory && !name.ends_with(b"/") {
            name.push(b'/');
        }
        let mtime = match self.opts.source_date_epoch {
            Some(epoch) => meta.mtime.min(epoch),
            None => meta.mtime,
        }
        .max(0) as u64;

        let mut pax: Vec<(String, Vec<u8>)> = Vec::new();
        if name.len() > 100 {
            pax.push(("path".into(), name.clone()));
        }
        if let Some(link) = &meta.link {
            if link.len() > 100 {
                pax.push(("linkpath".into(), link.clone()));
            }
        }
        const MAX_OCTAL7: u64 = 0o7777777;
        if meta.uid > MAX_OCTAL7 {
            pax.push(("uid".into(), meta.uid.to_string().into_bytes()));
        }
        if meta.gid > MAX_OCTAL7 {
            pax.push(("gid".into(), meta.gid.to_string().into_bytes()));
        }
        const MAX_OCTAL11: u64 = 0o77777777777;
        if meta.size > MAX_OCTAL11 {
            pax.push(("size".into(), meta.size.to_string().into_bytes()));
        }
        let mut xattrs = meta.xattrs.clone();
        xattrs.sort();
        for (k, v) in xattrs {
            pax.push((format!("SCHILY.xattr.{k}"), v));
        }
        let err = |e: io::Error| LayerError::io(rel, e);
        if !pax.is_empty() {
            let body = pax_records(&pax);
            let mut ph = Header::new_ustar();
            let mut pname = b"PaxHeaders.0/".to_vec();
            let base = rel.file_name().map(|n| n.as_bytes()).unwrap_or(b"root");
            pname.extend_from_slice(&base[..base.len().min(80)]);
            set_bytes(&mut ph.as_old_mut().name, &pname);
            ph.set_entry_type(EntryType::XHeader);
            ph.set_mode(0o644);
            ph.set_uid(0);
            ph.set_gid(0);
            ph.set_mtime(mtime);
            ph.set_size(body.len() as u64);
            ph.set_cksum();
            self.out.write_all(ph.as_bytes()).map_err(err)?;
            self.out.write_all(&body).map_err(err)?;
            pad(&mut self.out, body.len() as u64).map_err(err)?;
        }

        let mut h = Header::new_ustar();
        set_bytes(&mut h.as_old_mut().name, &name);
        h.set_entry_type(meta.kind);
        h.set_mode(meta.mode);
        h.set_uid(meta.uid.min(MAX_OCTAL7));
        h.set_gid(meta.gid.min(MAX_OCTAL7));
        h.set_mtime(mtime);
        h.set_size(meta.size.min(MAX_OCTAL11));
        if let Some(link) = &meta.link {
            set_bytes(&mut h.as_old_mut().linkname, link);
        }
        if let Some((major, minor)) = meta.dev {
            h.set_device_major(major).map_err(err)?;
            h.set_device_minor(minor).map_err(err)?;
        }
        h.set_cksum();
        self.out.write_all(h.as_bytes()).map_err(err)?;
        if let Some((path, file)) = data {
            copy_exact(file, &mut self.out, meta.size).map_err(|e| LayerError::io(path, e))?;
            pad(&mut self.out, meta.size).map_err(|e| LayerError::io(path, e))?;
        }
        self.entries += 1;
        Ok(())
    }
}

/// Copy exactly `size` bytes: a file that shrank or grew while we read it
/// would otherwise corrupt every entry after it.
fn copy_exact(file: File, out: &mut impl Write, size: u64) -> io::Result<()> {
    let mut reader = file.take(size);
    let copied = io::copy(&mut reader, out)?;
    if copied != size {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("file changed while it was being archived ({copied} of {size} bytes)"),
        ));
    }
    Ok(())
}

fn pad(out: &mut impl Write, len: u64) -> io::Result<()> {
    let rem = (len % 512) as usize;
    if rem != 0 {
        out.write_all(&[0u8; 512][..512 - rem])?;
    }
    Ok(())
}

/// Copy as much of `src` as fits; PAX records carry the full value.
fn set_bytes(field: &mut [u8], src: &[u8]) {
    let n = src.len().min(field.len());
    field[..n].copy_from_slice(&src[..n]);
    for b in &mut field[n..] {
        *b = 0;
    }
}

/// PAX extended header body: "<len> <key>=<value>\n" records where <len>
/// counts the whole record, its own digits included.
pub fn pax_records(records: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (k, v) in records {
        let rest = 1 + k.len() + 1 + v.len() + 1;
        let mut len = rest + 1;
        while len.to_string().len() + rest != len {
            len = len.to_string().len() + rest;
        }
        body.extend_from_slice(len.to_string().as_bytes());
        body.push(b' ');
        body.extend_from_slice(k.as_bytes());
        body.push(b'=');
        body.extend_from_slice(v);
        body.push(b'\n');
    }
    body
}

/// All xattrs of `path` (not following symlinks) except overlay's own
/// bookkeeping, sorted by name.
fn read_xattrs(path: &Path) -> Result<Vec<(String, Vec<u8>)>, LayerError> {
    let names = match xattr::list(path) {
        Ok(n) => n,
        // Filesystems without xattr support (some tmpfs setups) just have none.
        Err(e) if e.raw_os_error() == Some(libc::ENOTSUP) => return Ok(Vec::new()),
        Err(e) => return Err(LayerError::io(path, e)),
    };
    let mut out = Vec::new();
    for name in names {
        let Some(key) = name.to_str() else { continue };
        if key.starts_with("trusted.overlay.") && key != OPAQUE_XATTR {
            continue;
        }
        match xattr::get(path, &name) {
            Ok(Some(v)) => out.push((key.to_string(), v)),
            Ok(None) => {}
            Err(e) if e.raw_os_error() == Some(libc::ENODATA) => {}
            Err(e) => return Err(LayerError::io(path, e)),
        }
    }
    out.sort();
    // The opaque marker becomes a `.wh..wh..opq` entry, never a PAX record.
    out.retain(|(k, _)| k != OPAQUE_XATTR);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{symlink, PermissionsExt};

    fn tar_of(dir: &Path, opts: &TarOptions) -> Vec<u8> {
        write_dir_tar(dir, Vec::new(), opts).unwrap().0
    }

    fn listing(data: &[u8]) -> Vec<(String, EntryType, Option<String>)> {
        let mut a = tar::Archive::new(data);
        a.entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let p = e.path().unwrap().to_string_lossy().into_owned();
                let l = e
                    .link_name()
                    .unwrap()
                    .map(|l| l.to_string_lossy().into_owned());
                (p, e.header().entry_type(), l)
            })
            .collect()
    }

    #[test]
    fn sorted_symlinks_kept_hardlinks_detected() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        fs::create_dir(r.join("b")).unwrap();
        fs::write(r.join("b/z"), b"zz").unwrap();
        fs::write(r.join("a"), b"hello").unwrap();
        fs::hard_link(r.join("a"), r.join("c")).unwrap();
        symlink("/etc/passwd", r.join("link")).unwrap();
        let data = tar_of(r, &TarOptions::default());
        let l = listing(&data);
        assert_eq!(
            l,
            vec![
                ("a".into(), EntryType::Regular, None),
                ("b/".into(), EntryType::Directory, None),
                ("b/z".into(), EntryType::Regular, None),
                ("c".into(), EntryType::Link, Some("a".into())),
                (
                    "link".into(),
                    EntryType::Symlink,
                    Some("/etc/passwd".into())
                ),
            ]
        );
    }

    #[test]
    fn deterministic_with_source_date_epoch() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        fs::write(r.join("f"), b"x").unwrap();
        fs::set_permissions(r.join("f"), fs::Permissions::from_mode(0o4755)).unwrap();
        let opts = TarOptions {
            source_date_epoch: Some(0),
            overlay_whiteouts: true,
        };
        let one = tar_of(r, &opts);
        std::thread::sleep(std::time::Duration::from_millis(1100));
        fs::write(r.join("f"), b"x").unwrap();
        let two = tar_of(r, &opts);
        assert_eq!(one, two);
        let mut a = tar::Archive::new(one.as_slice());
        let e = a.entries().unwrap().next().unwrap().unwrap();
        assert_eq!(e.header().mtime().unwrap(), 0);
        assert_eq!(e.header().mode().unwrap(), 0o4755);
    }

    #[test]
    fn long_names_use_pax() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        let long = "x".repeat(120);
        fs::create_dir(r.join(&long)).unwrap();
        fs::write(r.join(&long).join("file"), b"data").unwrap();
        symlink("y".repeat(150), r.join("s")).unwrap();
        let data = tar_of(r, &TarOptions::default());
        let l = listing(&data);
        assert_eq!(l[0].2.as_deref(), Some("y".repeat(150).as_str()));
        assert_eq!(l[1].0, format!("{long}/"));
        assert_eq!(l[2].0, format!("{long}/file"));
    }

    #[test]
    fn whiteouts_and_opaque_dirs() {
        if unsafe { libc::geteuid() } != 0 {
            return; // mknod of a 0/0 char device and trusted.* xattrs need root
        }
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        let gone = std::ffi::CString::new(r.join("gone").as_os_str().as_bytes()).unwrap();
        assert_eq!(unsafe { libc::mknod(gone.as_ptr(), libc::S_IFCHR, 0) }, 0);
        fs::create_dir(r.join("dir")).unwrap();
        fs::write(r.join("dir/new"), b"n").unwrap();
        if xattr::set(r.join("dir"), OPAQUE_XATTR, b"y").is_err() {
            return; // tmpfs without trusted xattrs
        }
        xattr::set(r.join("dir/new"), "user.note", b"v").ok();
        let data = tar_of(
            r,
            &TarOptions {
                source_date_epoch: None,
                overlay_whiteouts: true,
            },
        );
        let names: Vec<String> = listing(&data).into_iter().map(|e| e.0).collect();
        assert_eq!(
            names,
            vec!["dir/", "dir/.wh..wh..opq", "dir/new", ".wh.gone"]
        );
        let mut a = tar::Archive::new(data.as_slice());
        for e in a.entries().unwrap() {
            let mut e = e.unwrap();
            if e.path().unwrap().ends_with("dir") {
                let ext = e.pax_extensions().unwrap();
                assert!(ext.is_none(), "opaque xattr must not leak into PAX");
            }
        }
    }

    #[test]
    fn xattrs_in_pax() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        fs::write(r.join("f"), b"x").unwrap();
        if xattr::set(r.join("f"), "user.skiff", b"1").is_err() {
            return; // filesystem without user xattrs
        }
        let data = tar_of(r, &TarOptions::default());
        let mut a = tar::Archive::new(data.as_slice());
        let mut e = a.entries().unwrap().next().unwrap().unwrap();
        let ext: Vec<(String, Vec<u8>)> = e
            .pax_extensions()
            .unwrap()
            .unwrap()
            .map(|x| {
                let x = x.unwrap();
                (x.key().unwrap().to_string(), x.value_bytes().to_vec())
            })
            .collect();
        assert_eq!(
            ext,
            vec![("SCHILY.xattr.user.skiff".to_string(), b"1".to_vec())]
        );
    }

    #[test]
    fn pax_record_lengths() {
        let b = pax_records(&[("path".into(), b"abc".to_vec())]);
        assert_eq!(b, b"12 path=abc\n");
        let v = vec![b'a'; 95];
        let b = pax_records(&[("k".into(), v)]);
        assert_eq!(&b[..4], b"102 ");
        assert_eq!(b.len(), 102);
    }
}
