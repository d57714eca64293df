//! Docker's token authentication: a registry answers 401 with a
//! `WWW-Authenticate: Bearer realm=...,service=...,scope=...` challenge, the
//! client asks the realm for a token (with its credentials, if any) and
//! retries with `Authorization: Bearer <token>`. The token reply is read
//! with a size cap like every other reply.

use oci_client::secrets::RegistryAuth;
use serde::Deserialize;

use crate::error::from_reqwest;
use crate::limits::{self, read_capped, MAX_TOKEN};
use crate::Error;

/// What a 401 asked for.
#[derive(Debug, PartialEq)]
pub enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
}

/// Parse a `WWW-Authenticate` value (one challenge, as registries send).
pub fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let params = parse_params(rest);
    let get = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
    };
    Some(Challenge::Bearer {
        realm: get("realm")?,
        service: get("service"),
        scope: get("scope"),
    })
}

/// `a="x, y",b=z` -> [(a, "x, y"), (b, z)]: commas inside quotes belong
/// to the value (scopes list actions as `pull,push`).
fn parse_params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let name: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if name.is_empty() {
            return out;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.peek().copied() {
                if c == ',' {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        out.push((name.trim().to_string(), value.trim().to_string()));
    }
}

#[derive(Deserialize)]
struct TokenReply {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
}

/// Ask `realm` for a token for `scope`; the reply is capped at `MAX_TOKEN`.
pub async fn fetch_token(
    http: &reqwest::Client,
    registry: &str,
    what: &str,
    auth: &RegistryAuth,
    realm: &str,
    service: Option<&str>,
    scope: &str,
) -> Result<String, Error> {
    let mut url = reqwest::Url::parse(realm).map_err(|e| {
        Error::Registry(format!(
            "{what}: {registry} named an invalid token service {realm:?}: {e}"
        ))
    })?;
    if let Some(s) = service {
        url.query_pairs_mut().append_pair("service", s);
    }
    url.query_pairs_mut().append_pair("scope", scope);
    let mut req = http.get(url);
    if let RegistryAuth::Basic(user, password) = auth {
        req = req.basic_auth(user, Some(password));
    }
    let mut resp = req
        .send()
        .await
        .map_err(|e| from_reqwest(registry, what, &e))?;
    let status = resp.status();
    if !status.is_success() {
        let body = limits::read_prefix(&mut resp).await;
        return Err(Error::Unauthorized(format!(
            "unauthorized: {what}: the registry {registry} refused the credentials: {} {}",
            status.as_u16(),
            String::from_utf8_lossy(&body).trim()
        )));
    }
    let what_token = format!("{what}: the token from {realm}");
    let body = read_capped(&mut resp, MAX_TOKEN, &what_token, |e| {
        from_reqwest(registry, what, e)
    })
    .await?;
    let reply: TokenReply = serde_json::from_slice(&body)
        .map_err(|e| Error::Registry(format!("{what_token} is not valid JSON: {e}")))?;
    reply
        .token
        .or(reply.access_token)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::Registry(format!("{what_token} holds no token")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_challenges_keep_commas_inside_quotes() {
        let c = parse_challenge(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:a/b:pull,push""#,
        );
        assert_eq!(
            c,
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:a/b:pull,push".into()),
            })
        );
        assert_eq!(
            parse_challenge(r#"Basic realm="Registry Realm""#),
            Some(Challenge::Basic)
        );
        assert_eq!(parse_challenge("Bearer service=x"), None);
        assert_eq!(parse_challenge("Negotiate"), None);
    }
}
