//! The `# syntax=` parser directive. BuildKit pulls the named frontend image
//! and hands it the build; skiff has one frontend, built in, that speaks
//! Dockerfile 1.x. So the official `docker/dockerfile` 1.x images (labs
//! included, any registry spelling, with or without a digest) are that
//! frontend and only earn a note; any other image is a different frontend
//! skiff cannot run, refused with the line rather than built differently.

use crate::error::{Error, LineRange};
use crate::parser::Ast;

/// The official frontend's repositories, as `# syntax=` may spell them.
const OFFICIAL: &[&str] = &[
    "docker/dockerfile",
    "docker.io/docker/dockerfile",
    "index.docker.io/docker/dockerfile",
    "registry-1.docker.io/docker/dockerfile",
    "docker/dockerfile-upstream",
    "docker.io/docker/dockerfile-upstream",
];

/// The note to show for the Dockerfile's `# syntax=`, if it has one, or the
/// error that refuses it.
pub fn check(ast: &Ast) -> Result<Option<String>, Error> {
    let Some(d) = ast.directives.iter().find(|d| d.name == "syntax") else {
        return Ok(None);
    };
    if is_dockerfile_1x(&d.value) {
        return Ok(Some(format!(
            "# syntax={}: using skiff's built-in Dockerfile 1.x frontend",
            d.value
        )));
    }
    Err(Error::at(
        format!(
            "unsupported frontend image {:?} in the # syntax directive: skiff builds with \
             its built-in Dockerfile 1.x frontend only (docker/dockerfile:1, :1.N, :1.N.M, \
             :1-labs, with or without a digest); remove the line or name one of those",
            d.value
        ),
        LineRange::line(d.line),
    ))
}

/// `[registry/]docker/dockerfile[:tag][@sha256:<hex>]` with a 1.x tag.
fn is_dockerfile_1x(value: &str) -> bool {
    let (name_tag, digest) = match value.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (value, None),
    };
    if let Some(d) = digest {
        let hex = d.strip_prefix("sha256:").unwrap_or("");
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return false;
        }
    }
    // The tag is after the last ':' that follows the last '/' (a registry
    // port has a '/' after it).
    let slash = name_tag.rfind('/').unwrap_or(0);
    let (name, tag) = match name_tag[slash..].rfind(':') {
        Some(i) => (&name_tag[..slash + i], Some(&name_tag[slash + i + 1..])),
        None => (name_tag, None),
    };
    if !OFFICIAL.contains(&name.to_ascii_lowercase().as_str()) {
        return false;
    }
    match tag {
        // No tag: `latest`, or only a digest, both the 1.x line today.
        None => true,
        Some(t) => is_1x_tag(t),
    }
}

/// `latest`, `labs`, `1`, `1.N`, `1.N.M`, each optionally `-labs` (or the
/// old `-experimental`), and `master`/`master-labs`: the upstream image's
/// head of the 1.x line, which BuildKit's own Dockerfiles name.
fn is_1x_tag(tag: &str) -> bool {
    if matches!(
        tag,
        "latest" | "labs" | "experimental" | "master" | "master-labs"
    ) {
        return true;
    }
    let version = tag
        .strip_suffix("-labs")
        .or_else(|| tag.strip_suffix("-experimental"))
        .unwrap_or(tag);
    let mut parts = version.split('.');
    if parts.next() != Some("1") {
        return false;
    }
    let rest: Vec<&str> = parts.collect();
    rest.len() <= 2
        && rest
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_str(df: &str) -> Result<Option<String>, Error> {
        check(&crate::parse(df.as_bytes()).unwrap())
    }

    #[test]
    fn official_1x_frontends_are_accepted_with_a_note() {
        let digest = format!("@sha256:{}", "a".repeat(64));
        for v in [
            "docker/dockerfile:1".to_string(),
            "docker/dockerfile:1.7".into(),
            "docker/dockerfile:1.7.1".into(),
            "docker/dockerfile:1-labs".into(),
            "docker/dockerfile:1.7-labs".into(),
            "docker/dockerfile".into(),
            "docker.io/docker/dockerfile:1".into(),
            "docker/dockerfile-upstream:master".into(),
            format!("docker/dockerfile:1{digest}"),
            format!("docker.io/docker/dockerfile:1.4{digest}"),
            format!("docker/dockerfile{digest}"),
        ] {
            let note = check_str(&format!("# syntax={v}\nFROM scratch\n"))
                .unwrap_or_else(|e| panic!("{v}: {e}"));
            assert!(note.unwrap().contains(&v), "{v}");
        }
        assert_eq!(check_str("FROM scratch\n").unwrap(), None);
    }

    #[test]
    fn other_frontends_are_refused_naming_the_image_and_line() {
        for v in [
            "docker/dockerfile:2",
            "docker/dockerfile:0.9",
            "docker/dockerfile:1.x",
            "example.com/my/frontend:1",
            "tonistiigi/dockerfile:1",
            "docker/dockerfile:1@sha256:short",
            "localhost:5000/docker/dockerfile:1",
        ] {
            let e = check_str(&format!("# escape=\\\n# syntax={v}\nFROM scratch\n")).expect_err(v);
            assert!(e.message.contains(v), "{}", e.message);
            assert_eq!(e.location, Some(LineRange::line(2)), "{v}");
        }
    }
}
