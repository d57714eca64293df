//! Checking credentials before `skiff login` saves them, as docker does:
//! ask `/v2/` who we are; a Basic challenge is answered directly, a Bearer
//! challenge by asking the token service with the credentials.

use reqwest::header::WWW_AUTHENTICATE;
use reqwest::StatusCode;

use crate::connect::Registry;
use crate::Error;

/// Fails with `Error::Unauthorized` when `registry` refuses `user`/`password`.
pub async fn verify(registry: &Registry, user: &str, password: &str) -> Result<(), Error> {
    let http = registry.http_client()?;
    let host = &registry.host;
    let what = "logging in";
    let url = format!("{}://{host}/v2/", registry.url_scheme());
    let err = |e: reqwest::Error| crate::error::from_reqwest(host, what, &e);
    let res = http.get(&url).send().await.map_err(err)?;
    if res.status().is_success() {
        // The registry wants no credentials at all; docker accepts that.
        return Ok(());
    }
    if res.status() != StatusCode::UNAUTHORIZED {
        return Err(Error::Registry(format!(
            "{what}: {url} answered {}",
            res.status()
        )));
    }
    let challenge = res
        .headers()
        .get(WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let lower = challenge.to_ascii_lowercase();
    let res = if lower.starts_with("bearer") {
        let params = challenge_params(&challenge["bearer".len()..]);
        let realm = params
            .iter()
            .find(|(k, _)| k == "realm")
            .map(|(_, v)| v.clone())
            .ok_or_else(|| {
                Error::Registry(format!("{what}: {url}: bearer challenge without realm"))
            })?;
        let mut query = vec![("account".to_string(), user.to_string())];
        if let Some((_, s)) = params.iter().find(|(k, _)| k == "service") {
            query.push(("service".into(), s.clone()));
        }
        http.get(&realm)
            .query(&query)
            .basic_auth(user, Some(password))
            .send()
            .await
            .map_err(err)?
    } else {
        http.get(&url)
            .basic_auth(user, Some(password))
            .send()
            .await
            .map_err(err)?
    };
    if res.status().is_success() {
        Ok(())
    } else if res.status() == StatusCode::UNAUTHORIZED || res.status() == StatusCode::FORBIDDEN {
        Err(Error::Unauthorized(format!(
            "login attempt to {url} failed with status: {} (unauthorized: incorrect username or password)",
            res.status()
        )))
    } else {
        Err(Error::Registry(format!(
            "{what}: {url} answered {}",
            res.status()
        )))
    }
}

/// `realm="https://auth",service="registry"` → pairs.
fn challenge_params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        let Some((key, after)) = rest.split_once('=') else {
            break;
        };
        let key = key
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        let (value, tail) = if let Some(q) = after.strip_prefix('"') {
            match q.split_once('"') {
                Some((v, t)) => (v.to_string(), t),
                None => (q.to_string(), ""),
            }
        } else {
            match after.split_once(',') {
                Some((v, t)) => (v.trim().to_string(), t),
                None => (after.trim().to_string(), ""),
            }
        };
        out.push((key, value));
        rest = tail.trim_start_matches(',').trim();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_challenges() {
        let p = challenge_params(
            r#" realm="https://auth.docker.io/token",service="registry.docker.io""#,
        );
        assert_eq!(
            p[0],
            ("realm".into(), "https://auth.docker.io/token".into())
        );
        assert_eq!(p[1], ("service".into(), "registry.docker.io".into()));
    }
}
