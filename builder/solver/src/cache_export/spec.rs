//! `--cache-to` and `--cache-from` values, in buildx's syntax:
//! `type=registry,ref=R[,mode=min|max]`, `type=local,dest=D` /
//! `type=local,src=D[,tag=T]`, `type=inline`; a value without `=` is a
//! registry ref, as buildx reads `--cache-from user/app:cache`.

use std::path::PathBuf;

use crate::error::{BuildError, Result};

/// Where `--cache-to` writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheTo {
    Registry {
        reference: String,
        max: bool,
        ignore_error: bool,
    },
    Local {
        dest: PathBuf,
        tag: String,
        max: bool,
        ignore_error: bool,
    },
    /// Into the image config itself (the final stage's steps only).
    Inline,
}

/// What `--cache-from` reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheFrom {
    Registry { reference: String },
    Local { src: PathBuf, tag: String },
}

impl CacheFrom {
    /// How messages name it: the ref, or the directory.
    pub fn name(&self) -> String {
        match self {
            CacheFrom::Registry { reference } => reference.clone(),
            CacheFrom::Local { src, tag } => format!("{}:{tag}", src.display()),
        }
    }
}

impl CacheTo {
    pub fn ignore_error(&self) -> bool {
        match self {
            CacheTo::Registry { ignore_error, .. } | CacheTo::Local { ignore_error, .. } => {
                *ignore_error
            }
            CacheTo::Inline => false,
        }
    }
}

/// The `k=v` attributes of one value; `type` defaults to registry for a
/// bare ref.
fn attrs(flag: &str, s: &str) -> Result<Vec<(String, String)>> {
    if !s.contains('=') {
        return Ok(vec![
            ("type".into(), "registry".into()),
            ("ref".into(), s.to_string()),
        ]);
    }
    s.split(',')
        .filter(|kv| !kv.trim().is_empty())
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => Ok((k.trim().to_string(), v.trim().to_string())),
            None => Err(BuildError::Invalid(format!(
                "{flag} {s}: {kv:?} is not key=value"
            ))),
        })
        .collect()
}

fn get<'a>(a: &'a [(String, String)], k: &str) -> Option<&'a str> {
    a.iter()
        .rev()
        .find(|(x, _)| x == k)
        .map(|(_, v)| v.as_str())
}

/// Attributes buildx knows that change nothing here (skiff's format has
/// one manifest shape and the layers keep the build's compression).
const IGNORED: &[&str] = &[
    "compression",
    "compression-level",
    "force-compression",
    "oci-mediatypes",
    "image-manifest",
];

fn check_known(flag: &str, s: &str, a: &[(String, String)], known: &[&str]) -> Result<()> {
    for (k, _) in a {
        if !known.contains(&k.as_str()) && !IGNORED.contains(&k.as_str()) {
            return Err(BuildError::Invalid(format!(
                "{flag} {s}: unknown attribute {k:?}"
            )));
        }
    }
    Ok(())
}

fn unsupported_type(flag: &str, t: &str) -> BuildError {
    BuildError::Unsupported(format!(
        "{flag}: cache type {t:?} is not supported: use registry, local or inline"
    ))
}

fn need(flag: &str, s: &str, a: &[(String, String)], k: &str) -> Result<String> {
    get(a, k)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .ok_or_else(|| BuildError::Invalid(format!("{flag} {s}: {k}= is required")))
}

fn is_true(v: Option<&str>) -> bool {
    matches!(v, Some("true") | Some("1") | Some(""))
}

/// Every `--cache-from` and `--cache-to` value.
pub fn parse_flags(from: &[String], to: &[String]) -> Result<(Vec<CacheFrom>, Vec<CacheTo>)> {
    let from = from
        .iter()
        .map(|s| parse_cache_from(s))
        .collect::<Result<_>>()?;
    let to = to
        .iter()
        .map(|s| parse_cache_to(s))
        .collect::<Result<_>>()?;
    Ok((from, to))
}

pub fn parse_cache_to(s: &str) -> Result<CacheTo> {
    let flag = "--cache-to";
    let a = attrs(flag, s)?;
    let max = match get(&a, "mode") {
        None | Some("min") => false,
        Some("max") => true,
        Some(m) => {
            return Err(BuildError::Invalid(format!(
                "{flag} {s}: mode {m:?}: expected min or max"
            )))
        }
    };
    let ignore_error = is_true(get(&a, "ignore-error"));
    match get(&a, "type").unwrap_or("") {
        "registry" => {
            check_known(flag, s, &a, &["type", "ref", "mode", "ignore-error"])?;
            Ok(CacheTo::Registry {
                reference: need(flag, s, &a, "ref")?,
                max,
                ignore_error,
            })
        }
        "local" => {
            check_known(
                flag,
                s,
                &a,
                &["type", "dest", "tag", "mode", "ignore-error"],
            )?;
            Ok(CacheTo::Local {
                dest: need(flag, s, &a, "dest")?.into(),
                tag: get(&a, "tag").unwrap_or("latest").to_string(),
                max,
                ignore_error,
            })
        }
        "inline" => {
            check_known(flag, s, &a, &["type", "mode"])?;
            if max {
                return Err(BuildError::Invalid(format!(
                    "{flag} {s}: inline cache only supports mode=min"
                )));
            }
            Ok(CacheTo::Inline)
        }
        "" => Err(BuildError::Invalid(format!("{flag} {s}: missing type="))),
        t => Err(unsupported_type(flag, t)),
    }
}

pub fn parse_cache_from(s: &str) -> Result<CacheFrom> {
    let flag = "--cache-from";
    let a = attrs(flag, s)?;
    match get(&a, "type").unwrap_or("") {
        "registry" => {
            check_known(flag, s, &a, &["type", "ref"])?;
            Ok(CacheFrom::Registry {
                reference: need(flag, s, &a, "ref")?,
            })
        }
        "local" => {
            check_known(flag, s, &a, &["type", "src", "tag"])?;
            Ok(CacheFrom::Local {
                src: need(flag, s, &a, "src")?.into(),
                tag: get(&a, "tag").unwrap_or("latest").to_string(),
            })
        }
        "" => Err(BuildError::Invalid(format!("{flag} {s}: missing type="))),
        t => Err(unsupported_type(flag, t)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_to_values() {
        assert_eq!(
            parse_cache_to("type=registry,ref=r/c:x,mode=max").unwrap(),
            CacheTo::Registry {
                reference: "r/c:x".into(),
                max: true,
                ignore_error: false
            }
        );
        assert_eq!(
            parse_cache_to("r/c:x").unwrap(),
            CacheTo::Registry {
                reference: "r/c:x".into(),
                max: false,
                ignore_error: false
            }
        );
        assert_eq!(
            parse_cache_to("type=local,dest=/d").unwrap(),
            CacheTo::Local {
                dest: "/d".into(),
                tag: "latest".into(),
                max: false,
                ignore_error: false
            }
        );
        assert_eq!(parse_cache_to("type=inline").unwrap(), CacheTo::Inline);
        for bad in [
            "type=registry",
            "type=registry,ref=x,mode=all",
            "type=local",
            "type=inline,mode=max",
            "type=registry,ref=x,bogus=1",
            "mode=max",
        ] {
            assert!(parse_cache_to(bad).is_err(), "{bad}");
        }
        assert!(matches!(
            parse_cache_to("type=gha"),
            Err(BuildError::Unsupported(_))
        ));
    }

    #[test]
    fn cache_from_values() {
        assert_eq!(
            parse_cache_from("type=local,src=/d,tag=t").unwrap(),
            CacheFrom::Local {
                src: "/d".into(),
                tag: "t".into()
            }
        );
        assert_eq!(
            parse_cache_from("r/c:x").unwrap(),
            CacheFrom::Registry {
                reference: "r/c:x".into()
            }
        );
        assert!(parse_cache_from("type=local,dest=/d").is_err());
        assert!(parse_cache_from("type=inline").is_err());
    }
}
