//! A generic bounded GET for `ADD <url>`: the same TLS roots, connect and
//! idle timeouts and redirect policy (at most 10 hops, never https to http)
//! as the registry client, plus a size cap and an overall deadline, with
//! the body streamed to a writer and hashed on the way. A `304 Not
//! Modified` (the answer to an `If-None-Match` the caller sent) is its own
//! outcome: no body, nothing hashed.

use std::io::Write;
use std::time::Duration;

use skiff_core::digest::HashingWriter;

use crate::connect::USER_AGENT;
use crate::error::from_reqwest;
use crate::{limits, tls, Error};

/// How much and how long one download may take.
#[derive(Debug, Clone, Copy)]
pub struct DownloadLimits {
    /// Bytes of body; more (announced or streamed) is `Error::TooLarge`.
    pub max_bytes: u64,
    /// The whole transfer, first byte to last.
    pub deadline: Duration,
}

/// What came back: the body's `sha256:<hex>` digest and size, and the
/// `Last-Modified` and `ETag` headers as sent.
#[derive(Debug, Clone, Default)]
pub struct Downloaded {
    pub digest: String,
    pub size: u64,
    pub last_modified: Option<String>,
    pub etag: Option<String>,
}

/// How a GET ended: a body (written to the writer), or `304 Not Modified`
/// with nothing written and the ETag the server named, if it named one.
/// Generic so that a caller can say the same of what it made of the body.
#[derive(Debug, Clone)]
pub enum Download<T = Downloaded> {
    Body(T),
    NotModified { etag: Option<String> },
}

/// GET `url` (http or https) into `out`, with extra request `headers`
/// (an Authorization header, an If-None-Match, say). Blocking: runs its
/// own small runtime.
pub fn download(
    url: &str,
    headers: &[(String, String)],
    out: &mut dyn Write,
    lim: DownloadLimits,
) -> Result<Download, Error> {
    tls::init();
    let parsed = reqwest::Url::parse(url).map_err(|e| Error::Registry(format!("{url}: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::Registry(format!("{url}: only http and https URLs")));
    }
    let host = match parsed.port() {
        Some(p) => format!("{}:{p}", parsed.host_str().unwrap_or_default()),
        None => parsed.host_str().unwrap_or_default().to_string(),
    };
    let mut certs = Vec::new();
    for c in tls::roots_for(&host) {
        if let Ok(c) = reqwest::Certificate::from_der(&c.data) {
            certs.push(c);
        }
    }
    let what = format!("downloading {url}");
    let client = crate::proxy::EnvProxies::from_env()
        .apply(reqwest::Client::builder())
        .map_err(|e| from_reqwest(&host, "reading the proxy settings", &e))?
        .tls_certs_only(certs)
        .connect_timeout(limits::CONNECT_TIMEOUT)
        .read_timeout(limits::idle_timeout())
        .redirect(limits::redirect_policy())
        .user_agent(USER_AGENT)
        .build()
        .map_err(|e| from_reqwest(&host, &what, &e))?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Io("starting the async runtime".into(), e))?;
    let work = async {
        let mut req = client.get(parsed.clone());
        for (k, v) in headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let mut resp = req
            .send()
            .await
            .map_err(|e| from_reqwest(&host, &what, &e))?;
        let status = resp.status();
        let header = |name| {
            resp.headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        let etag = header(reqwest::header::ETAG);
        if status == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(Download::NotModified { etag });
        }
        // BuildKit's http source takes any status in 200..400.
        if !(200..400).contains(&status.as_u16()) {
            return Err(Error::Registry(format!(
                "{what}: invalid response status {status}"
            )));
        }
        let too_big = || Error::TooLarge {
            what: what.clone(),
            limit: lim.max_bytes,
        };
        if resp.content_length().is_some_and(|n| n > lim.max_bytes) {
            return Err(too_big());
        }
        let last_modified = header(reqwest::header::LAST_MODIFIED);
        let mut w = HashingWriter::new(out);
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| from_reqwest(&host, &what, &e))?
        {
            if w.written() + chunk.len() as u64 > lim.max_bytes {
                return Err(too_big());
            }
            w.write_all(&chunk)
                .map_err(|e| Error::Io(what.clone(), e))?;
        }
        let (_, digest, size) = w.finish();
        Ok(Download::Body(Downloaded {
            digest,
            size,
            last_modified,
            etag,
        }))
    };
    rt.block_on(async {
        tokio::time::timeout(lim.deadline, work)
            .await
            .unwrap_or_else(|_| {
                Err(Error::Registry(format!(
                    "{what}: not finished after {}s",
                    lim.deadline.as_secs()
                )))
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::net::TcpListener;

    /// One-shot server on 127.0.0.1: answers `304` with the ETag when the
    /// request's If-None-Match names it, else `200` with the body and ETag.
    fn serve(etag: &'static str, body: &'static [u8]) -> String {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/f", l.local_addr().unwrap());
        std::thread::spawn(move || {
            for s in l.incoming().flatten() {
                let mut r = BufReader::new(s);
                let mut matched = false;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                        break;
                    }
                    let lower = line.to_ascii_lowercase();
                    matched |= lower.starts_with("if-none-match:") && line.contains(etag);
                }
                let head = if matched {
                    format!(
                        "HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nConnection: close\r\n\r\n"
                    )
                } else {
                    format!(
                        "HTTP/1.1 200 OK\r\nETag: {etag}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                };
                let mut s = r.into_inner();
                let _ = s.write_all(head.as_bytes());
                if !matched {
                    let _ = s.write_all(body);
                }
            }
        });
        url
    }

    const LIM: DownloadLimits = DownloadLimits {
        max_bytes: 1 << 20,
        deadline: Duration::from_secs(30),
    };

    #[test]
    fn a_304_is_not_modified_and_a_200_names_its_etag() {
        let url = serve("\"v1\"", b"body");
        let mut out = Vec::new();
        match download(&url, &[], &mut out, LIM).unwrap() {
            Download::Body(d) => {
                assert_eq!(d.etag.as_deref(), Some("\"v1\""));
                assert_eq!(d.size, 4);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(out, b"body");
        let mut out = Vec::new();
        let inm = [("If-None-Match".to_string(), "\"v1\"".to_string())];
        match download(&url, &inm, &mut out, LIM).unwrap() {
            Download::NotModified { etag } => assert_eq!(etag.as_deref(), Some("\"v1\"")),
            other => panic!("{other:?}"),
        }
        assert!(out.is_empty());
    }
}
