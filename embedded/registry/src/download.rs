//! A generic bounded GET for `ADD <url>`: the same TLS roots, connect and
//! idle timeouts and redirect policy (at most 10 hops, never https to http)
//! as the registry client, plus a size cap and an overall deadline, with
//! the body streamed to a writer and hashed on the way.

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

/// What came back.
#[derive(Debug, Clone)]
pub struct Downloaded {
    /// `sha256:<hex>` of the body.
    pub digest: String,
    pub size: u64,
    /// The `Last-Modified` header as sent.
    pub last_modified: Option<String>,
}

/// GET `url` (http or https) into `out`, with extra request `headers`
/// (an Authorization header, say). Blocking: runs its own small runtime.
pub fn download(
    url: &str,
    headers: &[(String, String)],
    out: &mut dyn Write,
    lim: DownloadLimits,
) -> Result<Downloaded, Error> {
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
        let last_modified = resp
            .headers()
            .get(reqwest::header::LAST_MODIFIED)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
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
        Ok(Downloaded {
            digest,
            size,
            last_modified,
        })
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
