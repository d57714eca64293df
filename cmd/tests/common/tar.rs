//! A minimal tar writer, so tests can build exactly the (hostile) layers
//! they need without extra dev-dependencies.

use std::fs;
use std::path::{Path, PathBuf};

#[derive(Default)]
pub struct Tar {
    buf: Vec<u8>,
}

pub struct Entry<'a> {
    pub name: &'a str,
    pub kind: u8,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: u64,
    pub data: &'a [u8],
    pub link: &'a str,
    pub dev: (u32, u32),
}

impl Default for Entry<'_> {
    fn default() -> Self {
        Entry {
            name: "",
            kind: b'0',
            mode: 0o644,
            uid: 0,
            gid: 0,
            mtime: 1_600_000_000,
            data: b"",
            link: "",
            dev: (0, 0),
        }
    }
}

fn octal(field: &mut [u8], v: u64) {
    let s = format!("{:0w$o}\0", v, w = field.len() - 1);
    field.copy_from_slice(s.as_bytes());
}

impl Tar {
    pub fn add(&mut self, e: Entry<'_>) -> &mut Self {
        let mut h = [0u8; 512];
        assert!(
            e.name.len() < 100 && e.link.len() < 100,
            "names too long for the test tar writer"
        );
        h[..e.name.len()].copy_from_slice(e.name.as_bytes());
        octal(&mut h[100..108], e.mode as u64);
        octal(&mut h[108..116], e.uid as u64);
        octal(&mut h[116..124], e.gid as u64);
        octal(&mut h[124..136], e.data.len() as u64);
        octal(&mut h[136..148], e.mtime);
        h[148..156].copy_from_slice(b"        ");
        h[156] = e.kind;
        h[157..157 + e.link.len()].copy_from_slice(e.link.as_bytes());
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        octal(&mut h[329..337], e.dev.0 as u64);
        octal(&mut h[337..345], e.dev.1 as u64);
        let sum: u32 = h.iter().map(|b| *b as u32).sum();
        let s = format!("{sum:06o}\0 ");
        h[148..156].copy_from_slice(s.as_bytes());
        self.buf.extend_from_slice(&h);
        self.buf.extend_from_slice(e.data);
        let pad = (512 - e.data.len() % 512) % 512;
        self.buf.extend(std::iter::repeat_n(0u8, pad));
        self
    }
    pub fn file(&mut self, name: &str, data: &[u8]) -> &mut Self {
        self.add(Entry {
            name,
            data,
            ..Default::default()
        })
    }
    pub fn dir(&mut self, name: &str) -> &mut Self {
        self.add(Entry {
            name,
            kind: b'5',
            mode: 0o755,
            ..Default::default()
        })
    }
    pub fn symlink(&mut self, name: &str, target: &str) -> &mut Self {
        self.add(Entry {
            name,
            kind: b'2',
            mode: 0o777,
            link: target,
            ..Default::default()
        })
    }
    pub fn hardlink(&mut self, name: &str, target: &str) -> &mut Self {
        self.add(Entry {
            name,
            kind: b'1',
            link: target,
            ..Default::default()
        })
    }
    /// A PAX extended header applying to the next entry.
    pub fn pax(&mut self, records: &[(&str, &[u8])]) -> &mut Self {
        let mut data = Vec::new();
        for (k, v) in records {
            let body_len = 1 + k.len() + 1 + v.len() + 1;
            let mut len = body_len + 1;
            while len != body_len + len.to_string().len() {
                len = body_len + len.to_string().len();
            }
            data.extend_from_slice(format!("{len} {k}=").as_bytes());
            data.extend_from_slice(v);
            data.push(b'\n');
        }
        self.add(Entry {
            name: "PaxHeader",
            kind: b'x',
            data: &data,
            ..Default::default()
        })
    }
    pub fn finish(&mut self) -> Vec<u8> {
        let mut v = std::mem::take(&mut self.buf);
        v.extend(std::iter::repeat_n(0u8, 1024));
        v
    }
}

/// Write `bytes` to `dir/name`; returns the path.
pub fn write_tar(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, bytes).unwrap();
    p
}
