//! The image config in docker's format, kept as JSON so every field of the
//! base image survives (HEALTHCHECK, ONBUILD, SHELL, STOPSIGNAL, which the
//! OCI config type does not carry), with helpers for what instructions set.

use serde_json::{json, Map, Value};

/// A docker image config under construction.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageConfig(pub Value);

impl ImageConfig {
    /// `FROM scratch`.
    pub fn scratch(os: &str, arch: &str, variant: Option<&str>) -> Self {
        let mut v = json!({
            "architecture": arch,
            "os": os,
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": []},
            "history": [],
        });
        if let Some(var) = variant {
            v["variant"] = json!(var);
        }
        ImageConfig(v)
    }

    pub fn from_bytes(b: &[u8]) -> Result<Self, String> {
        let mut v: Value = serde_json::from_slice(b).map_err(|e| format!("image config: {e}"))?;
        if !v.is_object() {
            return Err("image config is not a JSON object".into());
        }
        if !v["config"].is_object() {
            v["config"] = json!({});
        }
        if !v["rootfs"].is_object() {
            v["rootfs"] = json!({"type": "layers", "diff_ids": []});
        }
        if !v["history"].is_array() {
            v["history"] = json!([]);
        }
        // Container-specific fields of the base do not describe the new image.
        if let Some(o) = v.as_object_mut() {
            o.remove("container");
            o.remove("container_config");
            o.remove("docker_version");
        }
        Ok(ImageConfig(v))
    }

    /// Normalise the config's platform as containerd does (BuildKit's
    /// image carries it so): an arm64 base's `v8` variant is dropped, an
    /// arm one without a variant gets `v7`.
    pub fn normalize_platform(&mut self) {
        let (Some(os), Some(arch)) = (self.0["os"].as_str(), self.0["architecture"].as_str())
        else {
            return;
        };
        let p = skiff_core::Platform::new(os, arch, self.0["variant"].as_str());
        self.0["os"] = json!(p.os);
        self.0["architecture"] = json!(p.architecture);
        match (p.variant, self.0.as_object_mut()) {
            (Some(v), _) => self.0["variant"] = json!(v),
            (None, Some(o)) => {
                o.remove("variant");
            }
            (None, None) => {}
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.0).unwrap_or_default()
    }

    fn cfg(&mut self) -> &mut Map<String, Value> {
        if !self.0["config"].is_object() {
            self.0["config"] = json!({});
        }
        self.0["config"]
            .as_object_mut()
            .expect("config is an object")
    }

    fn cfg_ref(&self) -> Option<&Map<String, Value>> {
        self.0["config"].as_object()
    }

    /// `KEY=VALUE` entries of Env.
    pub fn env(&self) -> Vec<(String, String)> {
        self.cfg_ref()
            .and_then(|c| c.get("Env"))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(|s| match s.split_once('=') {
                        Some((k, v)) => (k.to_string(), v.to_string()),
                        None => (s.to_string(), String::new()),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn set_env(&mut self, key: &str, value: &str) {
        let mut env = self.env();
        match env.iter_mut().find(|(k, _)| k == key) {
            Some(e) => e.1 = value.to_string(),
            None => env.push((key.to_string(), value.to_string())),
        }
        let list: Vec<Value> = env
            .into_iter()
            .map(|(k, v)| json!(format!("{k}={v}")))
            .collect();
        self.cfg().insert("Env".into(), Value::Array(list));
    }

    pub fn get_str(&self, key: &str) -> String {
        self.cfg_ref()
            .and_then(|c| c.get(key))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    }

    pub fn set(&mut self, key: &str, v: Value) {
        self.cfg().insert(key.into(), v);
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.cfg_ref().and_then(|c| c.get(key))
    }

    pub fn user(&self) -> String {
        self.get_str("User")
    }

    pub fn workdir(&self) -> String {
        let w = self.get_str("WorkingDir");
        if w.is_empty() {
            "/".into()
        } else {
            w
        }
    }

    /// SHELL, or docker's default.
    pub fn shell(&self) -> Vec<String> {
        self.get("Shell")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect::<Vec<_>>()
            })
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| vec!["/bin/sh".into(), "-c".into()])
    }

    pub fn insert_map(&mut self, key: &str, k: &str, v: Value) {
        let c = self.cfg();
        let m = c.entry(key.to_string()).or_insert_with(|| json!({}));
        if !m.is_object() {
            *m = json!({});
        }
        m.as_object_mut().expect("object").insert(k.to_string(), v);
    }

    pub fn push_list(&mut self, key: &str, v: Value) {
        let c = self.cfg();
        let m = c.entry(key.to_string()).or_insert_with(|| json!([]));
        if !m.is_array() {
            *m = json!([]);
        }
        m.as_array_mut().expect("array").push(v);
    }

    pub fn diff_ids(&self) -> Vec<String> {
        self.0["rootfs"]["diff_ids"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn push_diff_id(&mut self, d: &str) {
        if !self.0["rootfs"]["diff_ids"].is_array() {
            self.0["rootfs"] = json!({"type": "layers", "diff_ids": []});
        }
        self.0["rootfs"]["diff_ids"]
            .as_array_mut()
            .expect("array")
            .push(json!(d));
    }

    /// One history entry, as BuildKit writes them.
    pub fn push_history(&mut self, created: &str, created_by: &str, empty_layer: bool) {
        let mut h = json!({
            "created": created,
            "created_by": created_by,
            "comment": "buildkit.dockerfile.v0",
        });
        if empty_layer {
            h["empty_layer"] = json!(true);
        }
        if !self.0["history"].is_array() {
            self.0["history"] = json!([]);
        }
        self.0["history"].as_array_mut().expect("array").push(h);
        self.0["created"] = json!(created);
    }

    /// Replace every timestamp (SOURCE_DATE_EPOCH).
    pub fn clamp_created(&mut self, created: &str) {
        self.0["created"] = json!(created);
        if let Some(h) = self.0["history"].as_array_mut() {
            for e in h {
                e["created"] = json!(created);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_is_normalised_like_containerd() {
        let mut c = ImageConfig(json!({"os": "linux", "architecture": "arm64", "variant": "v8"}));
        c.normalize_platform();
        assert_eq!(c.0, json!({"os": "linux", "architecture": "arm64"}));
        let mut c = ImageConfig(json!({"os": "linux", "architecture": "arm"}));
        c.normalize_platform();
        assert_eq!(c.0["variant"], json!("v7"));
    }

    #[test]
    fn env_and_fields_survive() {
        let mut c = ImageConfig::from_bytes(
            br#"{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"],"Healthcheck":{"Test":["CMD","true"]}},"rootfs":{"type":"layers","diff_ids":["sha256:aa"]}}"#,
        )
        .unwrap();
        c.set_env("A", "1");
        c.set_env("PATH", "/usr/bin:/bin");
        assert_eq!(
            c.env(),
            vec![
                ("PATH".into(), "/usr/bin:/bin".into()),
                ("A".into(), "1".into())
            ]
        );
        c.push_history("2020-01-01T00:00:00Z", "COPY x /", false);
        let back = ImageConfig::from_bytes(&c.to_bytes()).unwrap();
        assert!(back.get("Healthcheck").is_some());
        assert_eq!(back.diff_ids(), vec!["sha256:aa"]);
        assert_eq!(back.shell(), vec!["/bin/sh", "-c"]);
    }
}
