//! Container logs in docker's json-file format: one JSON object per line,
//! `{"log":"hi\n","stream":"stdout","time":"2026-11-27T20:01:02.123456789Z"}`,
//! so `logs -t`, `--since` and `--tail` work as docker's do.

use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::config::LogConfig;

/// docker splits lines longer than 16 KiB into several entries.
const MAX_LINE: usize = 16 * 1024;

/// The monitor's side: buffers partial lines per stream, appends entries,
/// rotates the file as `--log-opt max-size/max-file` say.
pub struct LogWriter {
    file: Option<File>,
    partial: [Vec<u8>; 2],
    line: Vec<u8>,
    path: PathBuf,
    /// Bytes in the current file.
    written: u64,
    config: LogConfig,
}

impl LogWriter {
    pub fn open(path: &Path) -> LogWriter {
        LogWriter::open_with(path, &LogConfig::default())
    }

    /// A writer for `config`'s driver: the `none` driver keeps nothing.
    pub fn open_with(path: &Path, config: &LogConfig) -> LogWriter {
        let file = if config.driver == "none" {
            None
        } else {
            open_append(path)
        };
        let written = file
            .as_ref()
            .and_then(|f| f.metadata().ok())
            .map(|m| m.len())
            .unwrap_or(0);
        LogWriter {
            file,
            partial: [Vec::new(), Vec::new()],
            line: Vec::with_capacity(512),
            path: path.to_path_buf(),
            written,
            config: config.clone(),
        }
    }

    /// docker's json-file rotation: `ctr.log` becomes `ctr.log.1`, `.1`
    /// becomes `.2`, and so on up to max-file files in all; with
    /// max-file 1 the file starts over.
    fn rotate(&mut self) {
        let keep = self.config.max_file.max(1);
        if keep > 1 {
            for i in (1..keep - 1).rev() {
                let _ = std::fs::rename(rotated(&self.path, i), rotated(&self.path, i + 1));
            }
            let _ = std::fs::rename(&self.path, rotated(&self.path, 1));
        } else {
            let _ = std::fs::remove_file(&self.path);
        }
        self.file = open_append(&self.path);
        self.written = 0;
    }

    pub fn write(&mut self, stream: usize, mut data: &[u8]) {
        while let Some(pos) = data.iter().position(|b| *b == b'\n') {
            let mut chunk = std::mem::take(&mut self.partial[stream]);
            chunk.extend_from_slice(&data[..=pos]);
            self.emit(stream, &chunk);
            chunk.clear();
            self.partial[stream] = chunk;
            data = &data[pos + 1..];
        }
        self.partial[stream].extend_from_slice(data);
        if self.partial[stream].len() >= MAX_LINE {
            self.flush_partial(stream);
        }
    }

    pub fn flush_partial(&mut self, stream: usize) {
        if self.partial[stream].is_empty() {
            return;
        }
        let chunk = std::mem::take(&mut self.partial[stream]);
        self.emit(stream, &chunk);
    }

    fn emit(&mut self, stream: usize, text: &[u8]) {
        let Some(f) = self.file.as_mut() else {
            return;
        };
        self.line.clear();
        self.line.extend_from_slice(b"{\"log\":\"");
        escape_into(&mut self.line, text);
        self.line.extend_from_slice(if stream == 0 {
            b"\",\"stream\":\"stdout\",\"time\":\""
        } else {
            b"\",\"stream\":\"stderr\",\"time\":\""
        });
        self.line.extend_from_slice(crate::now_rfc3339().as_bytes());
        self.line.extend_from_slice(b"\"}\n");
        let _ = f.write_all(&self.line);
        self.written += self.line.len() as u64;
        if self.config.max_size > 0 && self.written >= self.config.max_size {
            self.rotate();
        }
    }
}

fn open_append(path: &Path) -> Option<File> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .ok()
}

/// The `n`th rotated file beside `path` (`ctr.log.1` is the newest).
fn rotated(path: &Path, n: u32) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(format!(".{n}"));
    PathBuf::from(p)
}

/// JSON string escaping of possibly non-UTF-8 bytes (invalid sequences
/// become U+FFFD, as docker's encoder does).
fn escape_into(out: &mut Vec<u8>, text: &[u8]) {
    let s = String::from_utf8_lossy(text);
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            c if (c as u32) < 0x20 => {
                out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes());
            }
            c => {
                let mut b = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            }
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Entry {
    pub log: String,
    pub stream: String,
    pub time: String,
}

pub struct ReadOptions {
    /// Only the last N entries (None = all).
    pub tail: Option<usize>,
    /// Only entries at or after this RFC 3339 time.
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    pub until: Option<chrono::DateTime<chrono::Utc>>,
}

fn keep(e: &Entry, o: &ReadOptions) -> bool {
    let t = chrono::DateTime::parse_from_rfc3339(&e.time).map(|t| t.with_timezone(&chrono::Utc));
    match t {
        Ok(t) => o.since.is_none_or(|s| t >= s) && o.until.is_none_or(|u| t <= u),
        Err(_) => true,
    }
}

/// Read the entries selected by `o`; returns them and the byte offset where
/// reading stopped (for `-f`).
pub fn read(path: &Path, o: &ReadOptions) -> (Vec<Entry>, u64) {
    let mut out = Vec::new();
    // Rotated files first, oldest (highest number) to newest.
    let mut n = 1;
    while rotated(path, n).exists() {
        n += 1;
    }
    for i in (1..n).rev() {
        if let Ok(f) = File::open(rotated(path, i)) {
            each_entry(BufReader::new(f), 0, |e| {
                if keep(&e, o) {
                    out.push(e);
                }
            });
        }
    }
    let Ok(f) = File::open(path) else {
        return (out, 0);
    };
    let offset = each_entry(BufReader::new(f), 0, |e| {
        if keep(&e, o) {
            out.push(e);
        }
    });
    if let Some(n) = o.tail {
        if out.len() > n {
            out.drain(..out.len() - n);
        }
    }
    (out, offset)
}

/// Entries appended after `offset`; returns them and the new offset.
pub fn read_from(path: &Path, offset: u64) -> (Vec<Entry>, u64) {
    let Ok(mut f) = File::open(path) else {
        return (Vec::new(), offset);
    };
    if f.seek(SeekFrom::Start(offset)).is_err() {
        return (Vec::new(), offset);
    }
    let mut out = Vec::new();
    let off = each_entry(BufReader::new(f), offset, |e| out.push(e));
    (out, off)
}

/// Hand each complete line's entry to `f` (lines that do not parse are
/// skipped); returns `offset` plus the bytes of the complete lines read.
/// A last line without its newline is still being written: it is left for
/// the next read (`-f`).
fn each_entry(mut r: impl BufRead, mut offset: u64, mut f: impl FnMut(Entry)) -> u64 {
    let mut line = String::new();
    loop {
        line.clear();
        match r.read_line(&mut line) {
            Ok(n) if n > 0 && line.ends_with('\n') => {
                offset += n as u64;
                if let Ok(e) = serde_json::from_str::<Entry>(&line) {
                    f(e);
                }
            }
            _ => return offset,
        }
    }
}

/// Parse `--since`/`--until`: RFC 3339, a unix timestamp, or a duration
/// relative to now (`10m`, `1h30m`, `45s`).
pub fn parse_time(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&chrono::Utc));
    }
    if let Ok(secs) = s.parse::<f64>() {
        return chrono::DateTime::from_timestamp(secs as i64, ((secs.fract()) * 1e9) as u32);
    }
    let mut total = 0f64;
    let mut num = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let n: f64 = num.parse().ok()?;
        num.clear();
        total += n * match c {
            'h' => 3600.0,
            'm' => 60.0,
            's' => 1.0,
            _ => return None,
        };
    }
    if !num.is_empty() {
        return None;
    }
    let d = chrono::Duration::milliseconds((total * 1000.0) as i64);
    Some(chrono::Utc::now() - d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use skiff_core::testing::temp_path;

    #[test]
    fn lines_round_trip() {
        let (_dir, p) = temp_path("log");
        let mut w = LogWriter::open(&p);
        w.write(0, b"hello\nwor");
        w.write(1, b"oops \"quoted\"\n");
        w.write(0, b"ld\n");
        w.write(0, b"tail-no-newline");
        w.flush_partial(0);
        let (all, _) = read(
            &p,
            &ReadOptions {
                tail: None,
                since: None,
                until: None,
            },
        );
        let logs: Vec<&str> = all.iter().map(|e| e.log.as_str()).collect();
        assert_eq!(
            logs,
            vec!["hello\n", "oops \"quoted\"\n", "world\n", "tail-no-newline"]
        );
        assert_eq!(all[1].stream, "stderr");
        let (last, _) = read(
            &p,
            &ReadOptions {
                tail: Some(1),
                since: None,
                until: None,
            },
        );
        assert_eq!(last.len(), 1);
        assert!(parse_time("10m").is_some());
        assert!(parse_time("2026-01-01T00:00:00Z").is_some());
        assert!(parse_time("bogus").is_none());
    }

    #[test]
    fn rotates_at_max_size_and_keeps_max_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("ctr.log");
        let cfg = LogConfig {
            driver: "json-file".into(),
            max_size: 200,
            max_file: 3,
        };
        let mut w = LogWriter::open_with(&p, &cfg);
        for i in 0..40 {
            w.write(0, format!("line {i}\n").as_bytes());
        }
        assert!(rotated(&p, 1).exists() && rotated(&p, 2).exists());
        assert!(!rotated(&p, 3).exists(), "max-file 3 = current + 2");
        for f in [p.clone(), rotated(&p, 1), rotated(&p, 2)] {
            assert!(std::fs::metadata(&f).unwrap().len() < 300);
        }
        let all = ReadOptions {
            tail: None,
            since: None,
            until: None,
        };
        let (got, _) = read(&p, &all);
        assert_eq!(got.last().unwrap().log, "line 39\n");
        let nums: Vec<u32> = got
            .iter()
            .map(|e| e.log.trim()[5..].parse().unwrap())
            .collect();
        assert!(
            nums.windows(2).all(|w| w[1] == w[0] + 1),
            "in order: {nums:?}"
        );
        assert!(nums[0] > 0, "the oldest lines were rotated away");

        let none = d.path().join("none.log");
        let mut w = LogWriter::open_with(
            &none,
            &LogConfig {
                driver: "none".into(),
                ..LogConfig::default()
            },
        );
        w.write(0, b"dropped\n");
        assert!(!none.exists());
    }

    #[test]
    fn a_line_being_written_is_left_for_follow() {
        let (_dir, p) = temp_path("log");
        let a = r#"{"log":"a\n","stream":"stdout","time":"2024-01-01T00:00:00Z"}"#;
        let b = r#"{"log":"b\n","stream":"stdout","time":"2024-01-01T00:00:01Z"}"#;
        std::fs::write(&p, format!("{a}\nnot json\n{}", &b[..10])).unwrap();
        let all = ReadOptions {
            tail: None,
            since: None,
            until: None,
        };
        let (got, off) = read(&p, &all);
        assert_eq!(got.len(), 1);
        assert_eq!(off as usize, a.len() + 1 + "not json\n".len());
        let (none, same) = read_from(&p, off);
        assert!(none.is_empty());
        assert_eq!(same, off);
        std::fs::write(&p, format!("{a}\nnot json\n{b}\n")).unwrap();
        let (more, end) = read_from(&p, off);
        assert_eq!(
            more.iter().map(|e| e.log.as_str()).collect::<Vec<_>>(),
            ["b\n"]
        );
        assert_eq!(end, std::fs::metadata(&p).unwrap().len());
    }
}
