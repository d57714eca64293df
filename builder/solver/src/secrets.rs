//! `--secret` specs to the files a build mounts: `id=x,src=path`,
//! `id=x,env=VAR`, or `id=x` (the env var x, as BuildKit). An env secret is
//! written to a private (0600) file in the store's temp dir, removed when
//! the [`Secrets`] are dropped.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use skiff_store::Store;

use crate::error::{io_at, BuildError, Result};
use crate::solve::Secret;

/// The build's secrets, owning the temp files env secrets were written to.
#[derive(Debug, Default)]
pub struct Secrets {
    pub secrets: Vec<Secret>,
    temps: Vec<PathBuf>,
}

impl Drop for Secrets {
    fn drop(&mut self) {
        for f in &self.temps {
            let _ = std::fs::remove_file(f);
        }
    }
}

pub fn parse_secrets(raw: &[String], store: &Store) -> Result<Secrets> {
    let mut out = Secrets::default();
    for s in raw {
        let bad = |why: &str| BuildError::Invalid(format!("--secret {s}: {why}"));
        let (mut id, mut src, mut env) = (None, None, None);
        for kv in s.split(',') {
            match kv.split_once('=') {
                Some(("id", v)) => id = Some(v.to_string()),
                Some(("src", v)) | Some(("source", v)) => src = Some(v.to_string()),
                Some(("env", v)) => env = Some(v.to_string()),
                Some(("type", _)) => {}
                _ => return Err(bad("expected id=..,src=.. or id=..,env=..")),
            }
        }
        let id = id.ok_or_else(|| bad("missing id="))?;
        let path = match (src, env) {
            (Some(p), _) => PathBuf::from(p),
            (None, e) => {
                let var = e.unwrap_or_else(|| id.clone());
                let value = std::env::var(&var)
                    .map_err(|_| bad(&format!("environment variable {var} is not set")))?;
                let (mut f, p) = store.create_temp_file("secret")?;
                out.temps.push(p.clone());
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600))
                    .map_err(io_at(&p))?;
                f.write_all(value.as_bytes()).map_err(io_at(&p))?;
                p
            }
        };
        if !path.is_file() {
            return Err(bad(&format!("{} is not a file", path.display())));
        }
        let src = std::fs::canonicalize(&path).map_err(io_at(&path))?;
        out.secrets.push(Secret { id, src });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_and_env_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "s3cret").unwrap();
        std::env::set_var("SKIFF_TEST_SECRET_ENV", "from-env");
        let spec = [
            format!("id=a,src={}", file.display()),
            "id=b,env=SKIFF_TEST_SECRET_ENV".to_string(),
        ];
        let s = parse_secrets(&spec, &store).unwrap();
        assert_eq!(s.secrets[0].id, "a");
        let env_file = s.secrets[1].src.clone();
        assert_eq!(std::fs::read_to_string(&env_file).unwrap(), "from-env");
        drop(s);
        assert!(
            !env_file.exists(),
            "the env secret's file goes with the build"
        );
        for bad in ["src=/x", "id=c,what=1", "id=SKIFF_TEST_UNSET_VAR_X"] {
            let e = parse_secrets(&[bad.to_string()], &store).unwrap_err();
            assert!(e.to_string().contains(bad), "{e}");
        }
    }
}
