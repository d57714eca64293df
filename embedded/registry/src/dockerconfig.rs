//! Writing docker's `config.json` for `login` and `logout`: the file is
//! rewritten atomically (temp file, fsync, rename) with mode 0600, and every
//! key skiff does not know is kept as it was. Credentials go to the
//! credential helper when `credHelpers`/`credsStore` name one, as docker does.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine;
use serde_json::{Map, Value};

use crate::Error;

/// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
pub fn config_path() -> PathBuf {
    let dir = std::env::var_os("DOCKER_CONFIG")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker")))
        .unwrap_or_else(|| PathBuf::from("/root/.docker"));
    dir.join("config.json")
}

fn read(path: &Path) -> Result<Map<String, Value>, Error> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Map::new()),
        Err(e) => return Err(Error::Io(format!("reading {}", path.display()), e)),
    };
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(Error::Config {
            file: path.display().to_string(),
            line: 1,
            message: "expected a JSON object".into(),
        }),
        Err(e) => Err(Error::Config {
            file: path.display().to_string(),
            line: e.line(),
            message: e.to_string(),
        }),
    }
}

fn write(path: &Path, config: &Map<String, Value>) -> Result<(), Error> {
    use skiff_core::atomic::{atomic_write_mode, Durability};
    use std::os::unix::fs::DirBuilderExt;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| Error::Io(format!("creating the directory of {}", path.display()), e))?;
    let mut body = serde_json::to_vec_pretty(&Value::Object(config.clone()))
        .map_err(|e| Error::Registry(format!("encoding {}: {e}", path.display())))?;
    body.push(b'\n');
    // 0600 before the file becomes visible: it may hold credentials.
    atomic_write_mode(path, &body, 0o600, Durability::Durable).map_err(|e| {
        Error::Io(
            format!(
                "writing {} ({} {})",
                path.display(),
                e.action,
                e.path.display()
            ),
            e.source,
        )
    })
}

/// The helper that holds `key`'s credentials, if any.
fn helper_for(config: &Map<String, Value>, key: &str) -> Option<String> {
    let per_host = config
        .get("credHelpers")
        .and_then(|h| h.get(key))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    let store = config
        .get("credsStore")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    per_host.or(store).map(str::to_string)
}

fn run_helper(helper: &str, action: &str, input: &[u8]) -> Result<String, Error> {
    let name = format!("docker-credential-{helper}");
    let mut child = Command::new(&name)
        .arg(action)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::Credentials(format!("cannot run {name}: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(input)
            .map_err(|e| Error::Credentials(format!("writing to {name}: {e}")))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| Error::Credentials(format!("waiting for {name}: {e}")))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() {
        return Err(Error::Credentials(format!(
            "{name} {action}: {}",
            text.trim()
        )));
    }
    Ok(text)
}

/// Save `user`/`password` for `registry`.
pub fn store(registry: &str, user: &str, password: &str) -> Result<(), Error> {
    let path = config_path();
    let key = crate::auth::config_key(registry);
    let mut config = read(&path)?;
    if let Some(helper) = helper_for(&config, &key) {
        let req = serde_json::json!({"ServerURL": key, "Username": user, "Secret": password});
        run_helper(&helper, "store", req.to_string().as_bytes())?;
        // docker leaves an empty entry so `auths` lists the registry.
        auths(&mut config).insert(key, Value::Object(Map::new()));
    } else {
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        let mut entry = Map::new();
        entry.insert("auth".into(), Value::String(auth));
        auths(&mut config).insert(key, Value::Object(entry));
    }
    write(&path, &config)
}

/// Forget the credentials of `registry`; `false` when there were none.
pub fn erase(registry: &str) -> Result<bool, Error> {
    let path = config_path();
    let key = crate::auth::config_key(registry);
    let mut config = read(&path)?;
    let mut found = false;
    if let Some(helper) = helper_for(&config, &key) {
        found = run_helper(&helper, "erase", key.as_bytes()).is_ok();
    }
    if let Some(Value::Object(a)) = config.get_mut("auths") {
        for k in [
            key.clone(),
            format!("https://{key}"),
            format!("http://{key}"),
        ] {
            found |= a.remove(&k).is_some();
        }
    }
    if found {
        write(&path, &config)?;
    }
    Ok(found)
}

fn auths(config: &mut Map<String, Value>) -> &mut Map<String, Value> {
    let entry = config
        .entry("auths")
        .or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(Map::new());
    }
    entry.as_object_mut().expect("just made an object")
}

#[cfg(test)]
mod tests {
    use super::*;
    use skiff_core::testing::temp_path;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn store_and_erase_keep_other_keys() {
        let (_dir, path) = temp_path("sub/config.json");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            &path,
            r#"{"psFormat": "x", "auths": {"other:1": {"auth": "YTpi"}}}"#,
        )
        .unwrap();
        let mut c = read(&path).unwrap();
        auths(&mut c).insert("r:5".into(), serde_json::json!({"auth": "dTpw"}));
        write(&path, &c).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let back = read(&path).unwrap();
        assert_eq!(back["psFormat"], "x");
        assert_eq!(back["auths"]["other:1"]["auth"], "YTpi");
        assert_eq!(back["auths"]["r:5"]["auth"], "dTpw");
        std::fs::write(&path, "{\n  nope").unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(
            err.contains("config.json") && err.contains("line 2"),
            "{err}"
        );
    }
}
