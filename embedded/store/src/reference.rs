//! Image references with docker's normalisation (`busybox` ->
//! `docker.io/library/busybox:latest`, `127.0.0.1:5000/x` keeps its registry)
//! and docker's short "familiar" names for display.
//!
//! A small hand-written parser of docker's reference grammar
//! (distribution/reference) rather than oci-spec's `Reference`: that one
//! compiles a large regex on first use, which cost ~0.5 s of CPU per command
//! in debug builds and a few ms in release, on every `images`/`tag`/`rmi`.

use std::fmt;

use crate::digest::is_full_hex;
use crate::error::{Error, Result};

/// A normalised image reference: registry, repository, optional tag and digest.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageRef {
    pub registry: String,
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

const DEFAULT_REGISTRY: &str = "docker.io";
const NAME_MAX: usize = 255;

/// Parse and normalise a reference. A reference without tag or digest gets
/// `latest`, as docker does.
pub fn normalize_reference(s: &str) -> Result<ImageRef> {
    let bad = |reason: &str| Error::InvalidReference {
        reference: s.to_string(),
        reason: reason.to_string(),
    };
    if s.is_empty() {
        return Err(bad("repository name must have at least one component"));
    }
    if is_full_hex(s) {
        return Err(bad(
            "repository name cannot be a 64-byte hexadecimal string",
        ));
    }
    let (rest, digest) = match s.split_once('@') {
        Some((r, d)) => {
            let (alg, hex) = d.split_once(':').ok_or_else(|| bad("invalid digest"))?;
            let ok_len = match alg {
                "sha256" => 64,
                "sha384" => 96,
                "sha512" => 128,
                _ => return Err(bad("unsupported digest algorithm")),
            };
            if hex.len() != ok_len || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad("invalid digest"));
            }
            (r, Some(d.to_string()))
        }
        None => (s, None),
    };
    let last_slash = rest.rfind('/').map(|i| i + 1).unwrap_or(0);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    if let Some(t) = tag {
        let mut cs = t.chars();
        let first_ok = cs
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        if !first_ok
            || t.len() > 128
            || !t
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        {
            return Err(bad("invalid tag"));
        }
    }
    let (registry, repository) = split_domain(name);
    if let Some(reg) = &registry {
        if !valid_domain(reg) {
            return Err(bad("invalid registry host"));
        }
    }
    if repository.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(bad("repository name must be lowercase"));
    }
    if repository.is_empty() || !repository.split('/').all(valid_path_component) {
        return Err(bad("invalid repository name"));
    }
    let registry = match registry {
        Some(r) if r == "index.docker.io" => DEFAULT_REGISTRY.to_string(),
        Some(r) => r,
        None => DEFAULT_REGISTRY.to_string(),
    };
    let repository = if registry == DEFAULT_REGISTRY && !repository.contains('/') {
        format!("library/{repository}")
    } else {
        repository
    };
    if registry.len() + 1 + repository.len() > NAME_MAX {
        return Err(bad("repository name must not be more than 255 characters"));
    }
    let tag = match (tag, &digest) {
        (Some(t), _) => Some(t.to_string()),
        (None, Some(_)) => None,
        (None, None) => Some("latest".to_string()),
    };
    Ok(ImageRef {
        registry,
        repository,
        tag,
        digest,
    })
}

/// docker's rule: the first component is a registry when it has a `.` or a
/// `:` or is `localhost`, and more components follow.
fn split_domain(name: &str) -> (Option<String>, String) {
    match name.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            (Some(first.to_string()), rest.to_string())
        }
        _ => (None, name.to_string()),
    }
}

/// host[:port] with DNS-ish labels, or a bracketed IPv6 address.
fn valid_domain(d: &str) -> bool {
    let (host, port) = if let Some(rest) = d.strip_prefix('[') {
        match rest.split_once(']') {
            Some((h, p)) => {
                if !h.chars().all(|c| c.is_ascii_hexdigit() || c == ':') {
                    return false;
                }
                (None, p.strip_prefix(':'))
            }
            None => return false,
        }
    } else {
        match d.rsplit_once(':') {
            Some((h, p)) => (Some(h), Some(p)),
            None => (Some(d), None),
        }
    };
    if let Some(p) = port {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
    }
    host.is_none_or(|h| {
        !h.is_empty()
            && h.split('.').all(|l| {
                !l.is_empty()
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            })
    })
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
fn valid_path_component(c: &str) -> bool {
    let b = c.as_bytes();
    if b.is_empty() || !is_alnum(b[0]) || !is_alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if is_alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !is_alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

fn is_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

impl ImageRef {
    /// `registry/repository` (no tag, no digest), e.g. `docker.io/library/busybox`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// docker's short form of the name: `busybox`, `user/app`, `127.0.0.1:5000/x`.
    pub fn familiar_name(&self) -> String {
        familiar_name(&self.name())
    }

    /// The same name with another tag (and no digest).
    pub fn with_tag(&self, tag: &str) -> ImageRef {
        ImageRef {
            tag: Some(tag.to_string()),
            digest: None,
            ..self.clone()
        }
    }

    /// The same name with a digest (and no tag).
    pub fn with_digest(&self, digest: &str) -> ImageRef {
        ImageRef {
            tag: None,
            digest: Some(digest.to_string()),
            ..self.clone()
        }
    }

    /// docker's short form of the whole reference (`busybox:latest`).
    pub fn familiar(&self) -> String {
        let mut s = self.familiar_name();
        if let Some(t) = &self.tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(d);
        }
        s
    }
}

impl fmt::Display for ImageRef {
    /// The fully qualified form, e.g. `docker.io/library/busybox:latest`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for ImageRef {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        normalize_reference(s)
    }
}

/// docker's display form of a fully qualified name (no tag).
pub fn familiar_name(full: &str) -> String {
    if let Some(rest) = full.strip_prefix("docker.io/") {
        return rest.strip_prefix("library/").unwrap_or(rest).to_string();
    }
    full.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_normalisation() {
        let r = normalize_reference("busybox").unwrap();
        assert_eq!(r.to_string(), "docker.io/library/busybox:latest");
        assert_eq!(r.familiar(), "busybox:latest");
        let r = normalize_reference("127.0.0.1:5000/x").unwrap();
        assert_eq!(r.to_string(), "127.0.0.1:5000/x:latest");
        assert_eq!(r.familiar_name(), "127.0.0.1:5000/x");
        let r = normalize_reference("user/app:1.0").unwrap();
        assert_eq!(r.familiar(), "user/app:1.0");
        let r = normalize_reference("localhost/app").unwrap();
        assert_eq!(r.registry, "localhost");
        assert!(normalize_reference("Busybox").is_err());
        assert!(normalize_reference("").is_err());
        assert!(normalize_reference("a b").is_err());
        assert!(normalize_reference("a//b").is_err());
        assert!(normalize_reference("a:").is_err());
        assert!(normalize_reference("-a").is_err());
        let r = normalize_reference("localhost:5000/a/b_c__d-e.f:v1.0@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855").unwrap();
        assert_eq!(r.registry, "localhost:5000");
        assert_eq!(r.repository, "a/b_c__d-e.f");
        assert_eq!(r.tag.as_deref(), Some("v1.0"));
        assert!(r.digest.is_some());
        let r = normalize_reference(
            "busybox@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        )
        .unwrap();
        assert_eq!(r.tag, None);
        assert_eq!(
            normalize_reference("index.docker.io/x")
                .unwrap()
                .to_string(),
            "docker.io/library/x:latest"
        );
        assert_eq!(
            normalize_reference("test.com:5000").unwrap().to_string(),
            "docker.io/library/test.com:5000"
        );
    }
}
