//! skiff's event log (what `skiff events` reads, docker's daemon keeps in
//! memory): one JSON object a line in `<root>/events.log`, appended by
//! every skiff process that creates, starts, stops, removes a container or
//! changes an image. There is no daemon to hold events, so they live in
//! the store.
//!
//! Appends take `<root>/events.lock` exclusively, so lines from concurrent
//! processes never interleave and rotation cannot lose one. The log is
//! bounded: past [`MAX_LOG`] bytes it becomes `events.log.1` (replacing the
//! older one) and a new log starts, so at most twice that is kept. Events
//! are not fsynced: losing the last few in a power cut is acceptable for
//! an audit trail that docker itself keeps only in memory.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use skiff_core::lock::{lock_file, LockKind};

/// Size at which the log is rotated.
pub const MAX_LOG: u64 = 1 << 20;

/// One event, with docker's field names (`docker events --format json`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Event {
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(rename = "Action")]
    pub action: String,
    #[serde(rename = "Actor")]
    pub actor: Actor,
    #[serde(rename = "scope")]
    pub scope: String,
    #[serde(rename = "time")]
    pub time: i64,
    #[serde(rename = "timeNano")]
    pub time_nano: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Actor {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "Attributes")]
    pub attributes: BTreeMap<String, String>,
}

fn log_path(root: &Path) -> PathBuf {
    root.join("events.log")
}

/// Append one event of `kind` (`container`, `image`) to the log of the
/// store at `root`; `attributes` as docker's (`name`, `image`,
/// `exitCode`...). Never fails the operation it reports: an event that
/// cannot be written is dropped.
pub fn record(root: &Path, kind: &str, action: &str, id: &str, attributes: &[(&str, &str)]) {
    let now = chrono::Utc::now();
    let nanos = now.timestamp_nanos_opt().unwrap_or(0);
    let ev = Event {
        kind: kind.into(),
        action: action.into(),
        actor: Actor {
            id: id.into(),
            attributes: attributes
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        },
        scope: "local".into(),
        time: now.timestamp(),
        time_nano: nanos,
    };
    let _ = append(root, &ev);
}

fn append(root: &Path, ev: &Event) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(ev)?;
    line.push(b'\n');
    let _lock =
        lock_file(&root.join("events.lock"), LockKind::Exclusive).map_err(std::io::Error::other)?;
    let path = log_path(root);
    if std::fs::metadata(&path).is_ok_and(|m| m.len() >= MAX_LOG) {
        std::fs::rename(&path, root.join("events.log.1"))?;
    }
    let mut f = OpenOptions::new().create(true).append(true).open(&path)?;
    f.write_all(&line)
}

/// Every kept event, oldest first. Lines that do not parse (a torn write
/// after a crash) are skipped.
pub fn read(root: &Path) -> Vec<Event> {
    let _lock = lock_file(&root.join("events.lock"), LockKind::Shared);
    let mut out = Vec::new();
    for p in [root.join("events.log.1"), log_path(root)] {
        if let Ok(text) = std::fs::read_to_string(&p) {
            out.extend(text.lines().filter_map(|l| serde_json::from_str(l).ok()));
        }
    }
    out
}

/// The log's current size (where `events` starts following new lines).
pub fn log_len(root: &Path) -> u64 {
    std::fs::metadata(log_path(root))
        .map(|m| m.len())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_events_read_back_in_order_and_the_log_rotates() {
        let d = tempfile::tempdir().unwrap();
        record(d.path(), "container", "create", "abc", &[("name", "x")]);
        record(d.path(), "container", "start", "abc", &[]);
        let evs = read(d.path());
        assert_eq!(evs.len(), 2);
        assert_eq!(evs[0].action, "create");
        assert_eq!(evs[0].actor.attributes["name"], "x");
        std::fs::write(d.path().join("events.log"), vec![b'x'; MAX_LOG as usize]).unwrap();
        record(d.path(), "image", "tag", "sha256:1", &[]);
        assert!(log_len(d.path()) < 1000);
        assert_eq!(read(d.path()).last().unwrap().action, "tag");
    }
}
