//! `RUN --mount=type=secret`: a `--secret` given to the build, as a file
//! with the mount's mode and owner (BuildKit's default 0400 root) and/or
//! as an environment variable (`env=`). Its id goes into the step's cache
//! key, its content never.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::copy;
use crate::error::{io_at, BuildError, Result};

use super::run_mounts::ResolvedMounts;
use super::Shared;

/// Largest secret read into an environment variable.
const MAX_ENV_SECRET: u64 = 500 * 1024;

/// What a secret mount asks for.
pub(super) struct SecretMount<'a> {
    pub id: Option<&'a str>,
    pub required: bool,
    pub env: Option<&'a str>,
    pub mode: u32,
    pub owner: (u32, u32),
}

pub(super) fn resolve(
    sh: &Shared,
    out: &mut ResolvedMounts,
    how: SecretMount<'_>,
    target: String,
) -> Result<()> {
    let id = how.id.map(str::to_string).unwrap_or_else(|| {
        Path::new(&target)
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    // With only env= the secret is no file; with neither, the file is at
    // /run/secrets/<id>.
    let file_target = match (target.is_empty(), how.env) {
        (false, _) => Some(target),
        (true, None) => Some(format!("/run/secrets/{id}")),
        (true, Some(_)) => None,
    };
    out.key.push(format!(
        "secret:{id}:{file_target:?}:{:?}:{:o}:{:?}",
        how.env, how.mode, how.owner
    ));
    let Some(given) = sh.opts.secrets.iter().find(|s| s.id == id) else {
        if how.required {
            return Err(BuildError::Invalid(format!(
                "secret {id}: not provided (use --secret id={id},src=...)"
            )));
        }
        return Ok(());
    };
    if let Some(name) = how.env {
        let meta = fs::metadata(&given.src).map_err(io_at(&given.src))?;
        if meta.len() > MAX_ENV_SECRET {
            return Err(BuildError::Invalid(format!(
                "secret {id}: too large for an environment variable"
            )));
        }
        let value = fs::read(&given.src).map_err(io_at(&given.src))?;
        out.env
            .push(format!("{name}={}", String::from_utf8_lossy(&value)));
    }
    if let Some(target) = file_target {
        // A private copy carries the mode and owner the mount asks for.
        let dir = tempfile::Builder::new()
            .prefix("skiff-secret-")
            .tempdir_in(sh.store.tmp_dir())
            .map_err(io_at(sh.store.tmp_dir()))?;
        let copy = dir.path().join("secret");
        fs::copy(&given.src, &copy).map_err(io_at(&given.src))?;
        copy::set_owner(&copy, how.owner.0, how.owner.1).map_err(io_at(&copy))?;
        fs::set_permissions(&copy, fs::Permissions::from_mode(how.mode & 0o7777))
            .map_err(io_at(&copy))?;
        out.bind_private(dir, copy, target, true);
    }
    Ok(())
}
