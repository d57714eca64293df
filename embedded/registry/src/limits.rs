//! Bounds on what a registry may make skiff do: how much it may send for a
//! manifest, a config or a token, how long it may stay silent, and where it
//! may redirect. A hostile or broken registry must end a pull with an
//! error, never with gigabytes of memory or a pull that hangs forever.

use std::time::Duration;

use crate::Error;

/// containerd refuses manifests and indexes over 4 MiB
/// (`images.MaxManifestSize`); real ones are a few KiB.
pub const MAX_MANIFEST: u64 = 4 << 20;

/// Image configs are JSON read whole into memory. Real ones are a few KiB,
/// the largest (long build histories) well under 1 MiB; containerd and
/// docker bound them only by the descriptor size, which the registry
/// itself chose. 8 MiB leaves ample room and caps the memory a config costs.
pub const MAX_CONFIG: u64 = 8 << 20;

/// A bearer token response is a small JSON object (a JWT or two: a few
/// KiB at Docker Hub).
pub const MAX_TOKEN: u64 = 1 << 20;

/// Only the start of an error reply is read, for its message.
pub const MAX_ERROR_BODY: u64 = 64 << 10;

/// Go's http client (docker, containerd) stops after 10 redirects.
pub const MAX_REDIRECTS: usize = 10;

/// Connecting (TCP and TLS) must not take longer than this.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Default for `idle_timeout`.
const DEFAULT_IDLE_SECS: u64 = 30;

/// The environment variable that changes `idle_timeout` (whole seconds).
pub const IDLE_TIMEOUT_ENV: &str = "SKIFF_REGISTRY_IDLE_TIMEOUT";

/// How long a registry may send nothing (waiting for the reply, or in the
/// middle of a body) before the transfer fails. The clock restarts with
/// every byte received, so a slow transfer that progresses is never cut.
pub fn idle_timeout() -> Duration {
    let secs = std::env::var(IDLE_TIMEOUT_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(DEFAULT_IDLE_SECS);
    Duration::from_secs(secs)
}

/// At most `MAX_REDIRECTS` hops, and never from https down to http (that
/// would hand the request, and what comes back, to anyone on the path).
pub fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let from_https = attempt
            .previous()
            .last()
            .is_some_and(|u| u.scheme() == "https");
        if attempt.previous().len() > MAX_REDIRECTS {
            let msg = format!("stopped after {MAX_REDIRECTS} redirects");
            attempt.error(msg)
        } else if from_https && attempt.url().scheme() != "https" {
            let msg = format!(
                "refusing a redirect from https to {}",
                attempt.url().scheme()
            );
            attempt.error(msg)
        } else {
            attempt.follow()
        }
    })
}

/// Read a reply body whole, but never more than `cap` bytes: a longer body
/// (by Content-Length, or as it streams in) is an error naming `what`.
/// Each chunk is checked before it is kept, so the buffer never grows past
/// `cap`.
pub async fn read_capped(
    resp: &mut reqwest::Response,
    cap: u64,
    what: &str,
    on_err: impl Fn(&reqwest::Error) -> Error,
) -> Result<Vec<u8>, Error> {
    let too_big = || Error::TooLarge {
        what: what.to_string(),
        limit: cap,
    };
    if resp.content_length().is_some_and(|n| n > cap) {
        return Err(too_big());
    }
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| on_err(&e))? {
        if out.len() as u64 + chunk.len() as u64 > cap {
            return Err(too_big());
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Like `read_capped` for error replies: keep the first `MAX_ERROR_BODY`
/// bytes and stop reading there.
pub async fn read_prefix(resp: &mut reqwest::Response) -> Vec<u8> {
    let mut out = Vec::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        let room = MAX_ERROR_BODY as usize - out.len();
        out.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if out.len() >= MAX_ERROR_BODY as usize {
            break;
        }
    }
    out
}

/// Human form of a byte limit: `4 MiB`.
pub fn show(limit: u64) -> String {
    if limit >= 1 << 20 && limit % (1 << 20) == 0 {
        format!("{} MiB", limit >> 20)
    } else if limit >= 1 << 10 && limit % (1 << 10) == 0 {
        format!("{} KiB", limit >> 10)
    } else {
        format!("{limit} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_read_as_people_write_them() {
        assert_eq!(show(MAX_MANIFEST), "4 MiB");
        assert_eq!(show(MAX_ERROR_BODY), "64 KiB");
        assert_eq!(show(10), "10 bytes");
    }
}
