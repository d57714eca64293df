//! Image references with docker's normalisation (`busybox` ->
//! `docker.io/library/busybox:latest`, `127.0.0.1:5000/x` keeps its registry),
//! on top of oci-spec's parser, plus docker's short "familiar" names for
//! display.

use std::fmt;

use oci_spec::distribution::Reference;

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

/// Parse and normalise a reference. A reference without tag or digest gets
/// `latest`, as docker does.
pub fn normalize_reference(s: &str) -> Result<ImageRef> {
    let bad = |reason: &str| Error::InvalidReference {
        reference: s.to_string(),
        reason: reason.to_string(),
    };
    if is_full_hex(s) {
        return Err(bad(
            "repository name cannot be a 64-byte hexadecimal string",
        ));
    }
    let r = Reference::try_from(s).map_err(|e| bad(&e.to_string()))?;
    if r.repository().chars().any(|c| c.is_ascii_uppercase()) {
        return Err(bad("repository name must be lowercase"));
    }
    Ok(ImageRef {
        registry: r.registry().to_string(),
        repository: r.repository().to_string(),
        tag: r.tag().map(str::to_string),
        digest: r.digest().map(str::to_string),
    })
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
    }
}
