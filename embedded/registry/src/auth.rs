//! Credentials as docker finds them: `$DOCKER_CONFIG/config.json` (default
//! `~/.docker`) with `auths`, `credsStore` and `credHelpers`; the
//! `docker_credential` crate reads the file and runs `docker-credential-*`.

use docker_credential::{CredentialRetrievalError, DockerCredential};
use oci_client::secrets::RegistryAuth;

use crate::Error;

/// Docker Hub's key in config.json, kept from the v1 days.
pub const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// The key docker uses in config.json (and with credential helpers) for
/// `registry`.
pub fn config_key(registry: &str) -> String {
    match registry {
        "docker.io" | "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB_KEY.to_string(),
        other => other.to_string(),
    }
}

/// The spellings under which older docker versions stored `registry`.
fn lookup_keys(registry: &str) -> Vec<String> {
    let key = config_key(registry);
    if key == DOCKER_HUB_KEY {
        return vec![key, "docker.io".into(), "index.docker.io".into()];
    }
    vec![
        key.clone(),
        format!("https://{key}"),
        format!("http://{key}"),
        format!("https://{key}/v1/"),
    ]
}

/// Credentials for `registry`, or anonymous when none are configured.
pub fn credentials_for(registry: &str) -> Result<RegistryAuth, Error> {
    for key in lookup_keys(registry) {
        match docker_credential::get_credential(&key) {
            Ok(DockerCredential::UsernamePassword(u, p)) => return Ok(RegistryAuth::Basic(u, p)),
            Ok(DockerCredential::IdentityToken(_)) => {
                // An OAuth2 refresh token; oci-client cannot exchange it.
                return Err(Error::Credentials(format!(
                    "the credentials stored for {registry} are an identity token, which skiff \
                     cannot use yet: run `skiff login {registry}` with a username and password"
                )));
            }
            Err(CredentialRetrievalError::HelperFailure {
                helper,
                stdout,
                stderr,
            }) => {
                // Helpers answer "credentials not found" for unknown servers.
                let text = format!("{stdout}{stderr}");
                if text.to_ascii_lowercase().contains("not found") {
                    continue;
                }
                return Err(Error::Credentials(format!(
                    "credential helper {helper} failed for {registry}: {}",
                    text.trim()
                )));
            }
            Err(CredentialRetrievalError::HelperCommunicationError) => {
                return Err(Error::Credentials(format!(
                    "cannot run the credential helper configured for {registry} in {}",
                    crate::dockerconfig::config_path().display()
                )));
            }
            Err(CredentialRetrievalError::MalformedHelperResponse) => {
                return Err(Error::Credentials(format!(
                    "the credential helper configured for {registry} gave a malformed answer"
                )));
            }
            Err(CredentialRetrievalError::CredentialDecodingError) => {
                return Err(Error::Credentials(format!(
                    "the \"auth\" entry for {key} in {} is not base64 user:password",
                    crate::dockerconfig::config_path().display()
                )));
            }
            Err(_) => continue,
        }
    }
    Ok(RegistryAuth::Anonymous)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(config_key("docker.io"), DOCKER_HUB_KEY);
        assert_eq!(config_key("127.0.0.1:5000"), "127.0.0.1:5000");
        assert!(lookup_keys("r:1").contains(&"https://r:1".to_string()));
    }
}
