//! HTTP proxies from the environment, with Go's rule that a loopback host
//! is never proxied.
//!
//! docker, podman, skopeo and BuildKit read `HTTP_PROXY`/`HTTPS_PROXY`/
//! `NO_PROXY` through Go's net/http, which never sends `localhost`,
//! 127.0.0.0/8 or ::1 through a proxy. reqwest's own reading of the
//! environment has no such rule, so with `http_proxy` set (faas-cli users
//! behind a company proxy, who also run a registry on 127.0.0.1:5000) every
//! pull and push of a local registry went to the proxy and failed. skiff
//! reads the variables itself and always adds the loopback hosts to the
//! exclusions. `ALL_PROXY` stays a fallback for both schemes, as reqwest
//! read it before.

use oci_client::client::ClientConfig;

/// What a loopback host looks like in a `NO_PROXY` list.
const LOOPBACK: &str = "localhost,127.0.0.0/8,::1";

/// The proxies one client uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvProxies {
    /// For `http://` URLs.
    pub http: Option<String>,
    /// For `https://` URLs.
    pub https: Option<String>,
    /// Hosts never proxied: the user's `NO_PROXY` plus the loopback hosts.
    pub no_proxy: String,
}

impl EnvProxies {
    /// From the process environment.
    pub fn from_env() -> EnvProxies {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// From `get` (a variable's value by name): upper case before lower
    /// case as Go reads them, empty values as unset.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> EnvProxies {
        let first = |names: &[&str]| {
            names
                .iter()
                .filter_map(|n| get(n))
                .find(|v| !v.trim().is_empty())
        };
        let all = first(&["ALL_PROXY", "all_proxy"]);
        let user_no = first(&["NO_PROXY", "no_proxy"]).unwrap_or_default();
        EnvProxies {
            http: first(&["HTTP_PROXY", "http_proxy"]).or_else(|| all.clone()),
            https: first(&["HTTPS_PROXY", "https_proxy"]).or(all),
            no_proxy: if user_no.trim().is_empty() {
                LOOPBACK.to_string()
            } else {
                format!("{user_no},{LOOPBACK}")
            },
        }
    }

    /// `builder` with exactly these proxies (reqwest's own reading of the
    /// environment switched off).
    pub fn apply(
        &self,
        builder: reqwest::ClientBuilder,
    ) -> Result<reqwest::ClientBuilder, reqwest::Error> {
        let mut b = builder.no_proxy();
        let no = || reqwest::NoProxy::from_string(&self.no_proxy);
        if let Some(p) = &self.http {
            b = b.proxy(reqwest::Proxy::http(p)?.no_proxy(no()));
        }
        if let Some(p) = &self.https {
            b = b.proxy(reqwest::Proxy::https(p)?.no_proxy(no()));
        }
        Ok(b)
    }

    /// The same for oci-client, which builds its reqwest client itself
    /// from these fields (and reads the environment only when both
    /// proxies are unset, when there is nothing to exclude).
    pub fn apply_oci(&self, config: &mut ClientConfig) {
        config.http_proxy = self.http.clone();
        config.https_proxy = self.https.clone();
        config.no_proxy = Some(self.no_proxy.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    fn env(pairs: &[(&str, &str)]) -> EnvProxies {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        EnvProxies::from_lookup(|k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
    }

    /// What [`env`] must give: the proxies and the whole `no_proxy`.
    fn proxies(http: Option<&str>, https: Option<&str>, no_proxy: &str) -> EnvProxies {
        EnvProxies {
            http: http.map(String::from),
            https: https.map(String::from),
            no_proxy: no_proxy.to_string(),
        }
    }

    #[test]
    fn loopback_is_always_excluded_and_user_entries_kept() {
        let user = format!("registry.lan,{LOOPBACK}");
        for (vars, want) in [
            (
                &[
                    ("http_proxy", "http://proxy:3128"),
                    ("no_proxy", "registry.lan"),
                ][..],
                proxies(Some("http://proxy:3128"), None, &user),
            ),
            (&[], proxies(None, None, LOOPBACK)),
        ] {
            assert_eq!(env(vars), want, "{vars:?}");
        }
    }

    #[test]
    fn upper_case_wins_all_proxy_falls_back_empty_is_unset() {
        for (vars, want) in [
            (
                &[
                    ("HTTPS_PROXY", "http://upper:1"),
                    ("https_proxy", "http://lower:1"),
                ][..],
                proxies(None, Some("http://upper:1"), LOOPBACK),
            ),
            (
                &[("ALL_PROXY", "http://all:1"), ("HTTP_PROXY", " ")],
                proxies(Some("http://all:1"), Some("http://all:1"), LOOPBACK),
            ),
            (&[("HTTP_PROXY", "")], proxies(None, None, LOOPBACK)),
        ] {
            assert_eq!(env(vars), want, "{vars:?}");
        }
    }

    #[test]
    fn a_bad_proxy_url_is_an_error_not_a_panic() {
        let p = env(&[("HTTP_PROXY", "http://[bad")]);
        assert!(p.apply(reqwest::Client::builder()).is_err());
    }

    /// A one-request HTTP server on 127.0.0.1: its port, and the request
    /// line it received.
    fn one_shot_server() -> (u16, std::thread::JoinHandle<String>) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let t = std::thread::spawn(move || {
            let (mut c, _) = l.accept().unwrap();
            let mut buf = [0u8; 4096];
            let n = c.read(&mut buf).unwrap();
            c.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
                .unwrap();
            let req = String::from_utf8_lossy(&buf[..n]).to_string();
            req.lines().next().unwrap_or_default().to_string()
        });
        (port, t)
    }

    fn get(p: &EnvProxies, url: &str) -> Result<reqwest::StatusCode, reqwest::Error> {
        crate::tls::init();
        let client = p
            .apply(reqwest::Client::builder())
            .unwrap()
            .build()
            .unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async { client.get(url).send().await.map(|r| r.status()) })
    }

    #[test]
    fn a_loopback_host_is_reached_directly_past_a_dead_proxy() {
        let dead = TcpListener::bind("127.0.0.1:0").unwrap();
        let dead_port = dead.local_addr().unwrap().port();
        drop(dead);
        let p = env(&[("http_proxy", &format!("http://127.0.0.1:{dead_port}"))]);
        let (port, server) = one_shot_server();
        let status = get(&p, &format!("http://127.0.0.1:{port}/v2/")).unwrap();
        assert_eq!(status, 200);
        assert_eq!(server.join().unwrap(), "GET /v2/ HTTP/1.1");
    }

    #[test]
    fn another_host_still_goes_through_the_proxy() {
        let (proxy_port, proxy) = one_shot_server();
        let p = env(&[("HTTP_PROXY", &format!("http://127.0.0.1:{proxy_port}"))]);
        let status = get(&p, "http://registry.invalid:5000/v2/").unwrap();
        assert_eq!(status, 200);
        assert_eq!(
            proxy.join().unwrap(),
            "GET http://registry.invalid:5000/v2/ HTTP/1.1"
        );
    }
}
