//! `ADD <http(s) url>` as BuildKit's http source does it: the file is named
//! by the dockerfile frontend from the URL path (`path.Base`, else
//! `__unnamed__`; Content-Disposition is not asked because the frontend
//! always names the file), written 0600 and owned by root, its mtime the
//! `Last-Modified` header (the epoch without one), and `--checksum`
//! compared with the sha256 of the body. The transfer itself is
//! skiff-registry's bounded GET: the layer size limit caps the body. A
//! conditional GET (`If-None-Match`) may end in `304`, and content kept
//! from an earlier download is then placed exactly as a fresh one
//! ([`restore`]); which ETag to send is the solver's `url_cache`.

use std::fs::OpenOptions;
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::Duration;

use skiff_registry::download::{download, Download, DownloadLimits, Downloaded};

/// The whole download, however much it progresses: an hour.
const DEADLINE: Duration = Duration::from_secs(3600);

/// What a download produced: the file's name in the download dir, and its
/// content's digest, size and headers (the ETag without its weak `W/`
/// prefix, as BuildKit stores and compares it).
#[derive(Debug, Clone)]
pub struct Fetched {
    pub name: String,
    pub content: Downloaded,
}

/// How a fetch ended; `NotModified` wrote nothing.
pub type Fetch = Download<Fetched>;

/// True for the URLs BuildKit downloads (git URLs were taken before).
pub fn is_http(src: &str) -> bool {
    src.starts_with("http://") || src.starts_with("https://")
}

/// The file name BuildKit's frontend gives a URL: the last element of its
/// (decoded) path, `__unnamed__` when there is none.
pub fn file_name(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let path = rest.find('/').map(|i| &rest[i..]).unwrap_or("");
    let decoded = percent_decode(path);
    // Go's path.Base: trailing slashes dropped, then the last element.
    let trimmed = decoded.trim_end_matches('/');
    match trimmed.rsplit('/').next() {
        Some(b) if !b.is_empty() && b != "." => b.to_string(),
        _ => "__unnamed__".to_string(),
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// BuildKit compares ETags without their weak marker.
pub fn etag_value(v: &str) -> &str {
    v.strip_prefix("W/").unwrap_or(v)
}

/// Download `url` into `dir`. `auth` is an Authorization header value;
/// `max_bytes` the size cap; `checksum` the `--checksum` value;
/// `if_none_match` the stored ETag to send (then a `304` is
/// `NotModified`).
pub fn fetch(
    url: &str,
    dir: &Path,
    auth: Option<String>,
    max_bytes: u64,
    checksum: Option<&str>,
    if_none_match: Option<&str>,
) -> Result<Fetch, String> {
    let name = file_name(url);
    let path = dir.join(&name);
    let mut w = BufWriter::new(create(&path)?);
    let mut headers: Vec<(String, String)> = auth
        .map(|a| vec![("Authorization".to_string(), a)])
        .unwrap_or_default();
    if let Some(tag) = if_none_match {
        headers.push(("If-None-Match".to_string(), tag.to_string()));
    }
    let got = download(
        url,
        &headers,
        &mut w,
        DownloadLimits {
            max_bytes,
            deadline: DEADLINE,
        },
    )
    .map_err(|e| e.to_string())?;
    let mut got = match got {
        Download::Body(d) => d,
        Download::NotModified { etag } => {
            drop(w);
            let _ = std::fs::remove_file(&path);
            return Ok(Download::NotModified {
                etag: etag.as_deref().map(|e| etag_value(e).to_string()),
            });
        }
    };
    w.flush()
        .and_then(|()| w.get_ref().sync_all())
        .map_err(|e: io::Error| format!("{}: {e}", path.display()))?;
    drop(w);
    if let Some(want) = checksum {
        if want != got.digest {
            return Err(format!(
                "digest mismatch for {url}: {} (expected: {want})",
                got.digest
            ));
        }
    }
    finish(&path, got.last_modified.as_deref())?;
    got.etag = got.etag.as_deref().map(|e| etag_value(e).to_string());
    Ok(Download::Body(Fetched { name, content: got }))
}

/// Place a kept copy of `url`'s content (`content`, read from the store;
/// `kept` its digest and headers) in `dir` exactly as a download would
/// have: same name, mode, mtime.
pub fn restore(
    url: &str,
    dir: &Path,
    content: &mut dyn io::Read,
    kept: Downloaded,
) -> Result<Fetched, String> {
    let name = file_name(url);
    let path = dir.join(&name);
    let mut w = BufWriter::new(create(&path)?);
    let size = io::copy(content, &mut w)
        .and_then(|n| w.flush().map(|()| n))
        .and_then(|n| w.get_ref().sync_all().map(|()| n))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    drop(w);
    finish(&path, kept.last_modified.as_deref())?;
    Ok(Fetched {
        name,
        content: Downloaded { size, ..kept },
    })
}

fn create(path: &Path) -> Result<std::fs::File, String> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Mode 0600 whatever the umask, mtime `Last-Modified` (else the epoch).
fn finish(path: &Path, last_modified: Option<&str>) -> Result<(), String> {
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let mtime = last_modified.and_then(parse_http_date).unwrap_or(0);
    skiff_core::times::set_times(path, mtime, 0).map_err(|e| format!("{}: {e}", path.display()))
}

/// An HTTP date (RFC 7231: IMF-fixdate, RFC 850 or asctime) as Unix seconds.
pub fn parse_http_date(s: &str) -> Option<i64> {
    use chrono::{NaiveDateTime, TimeZone, Utc};
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc2822(s) {
        return Some(t.timestamp());
    }
    for fmt in ["%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(Utc.from_utc_datetime(&t).timestamp());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_frontend() {
        for (url, name) in [
            ("http://h/a/b.tar.gz?x=1#f", "b.tar.gz"),
            ("http://h/dir/", "dir"),
            ("http://h/", "__unnamed__"),
            ("http://h", "__unnamed__"),
            ("https://h:8080/a%20b", "a b"),
        ] {
            assert_eq!(file_name(url), name, "{url}");
        }
    }

    #[test]
    fn http_dates() {
        let t = Some(784111777);
        for (date, time) in [
            ("Sun, 06 Nov 1994 08:49:37 GMT", t),
            ("Sunday, 06-Nov-94 08:49:37 GMT", t),
            ("Sun Nov  6 08:49:37 1994", t),
            ("yesterday", None),
        ] {
            assert_eq!(parse_http_date(date), time, "{date}");
        }
    }
}
