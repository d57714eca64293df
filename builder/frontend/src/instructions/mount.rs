//! `RUN --mount=type=bind|cache|tmpfs|secret|ssh,...` options.

use crate::suggest::did_you_mean;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MountType {
    #[default]
    Bind,
    Cache,
    Tmpfs,
    Secret,
    Ssh,
}

impl MountType {
    pub fn as_str(self) -> &'static str {
        match self {
            MountType::Bind => "bind",
            MountType::Cache => "cache",
            MountType::Tmpfs => "tmpfs",
            MountType::Secret => "secret",
            MountType::Ssh => "ssh",
        }
    }
}

/// Cache mount sharing mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sharing {
    Shared,
    Private,
    Locked,
}

/// Expands one value (variables) before it is validated.
pub type Expander<'a> = &'a dyn Fn(&str) -> Result<String, String>;

/// One `--mount` of a RUN instruction.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Mount {
    pub kind: MountType,
    /// Stage name/index or image the mount source comes from (bind, cache).
    pub from: Option<String>,
    pub source: Option<String>,
    pub target: Option<String>,
    pub read_only: bool,
    /// tmpfs size in bytes.
    pub size_limit: Option<u64>,
    /// Cache id, or secret/ssh id.
    pub id: Option<String>,
    pub sharing: Option<Sharing>,
    /// Secret/ssh: fail when not provided.
    pub required: bool,
    /// Secret exposed as this environment variable.
    pub env: Option<String>,
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

/// Split a CSV record (Go encoding/csv rules: `"` quotes a field, `""` is a
/// literal quote).
fn csv_fields(s: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    None => {
                        return Err(format!(
                        "failed to parse csv mounts: extraneous or missing \" in quoted-field: {s}"
                    ))
                    }
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                }
            }
            match chars.next() {
                None => {
                    out.push(field);
                    return Ok(out);
                }
                Some(',') => {}
                Some(_) => {
                    return Err(format!(
                        "failed to parse csv mounts: extraneous or missing \" in quoted-field: {s}"
                    ))
                }
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        out.push(field);
                        return Ok(out);
                    }
                    Some(',') => break,
                    Some('"') => {
                        return Err(format!(
                            "failed to parse csv mounts: bare \" in non-quoted-field: {s}"
                        ))
                    }
                    Some(c) => field.push(c),
                }
            }
        }
        out.push(field);
    }
}

fn parse_bool(key: &str, v: &str) -> Result<bool, String> {
    match v {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        _ => Err(format!("invalid value for {key}: {v}")),
    }
}

/// docker's `units.RAMInBytes`: `64m`, `1g`, `512k`, `100` (bytes).
pub fn ram_in_bytes(v: &str) -> Option<u64> {
    let t = v.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().ok()?;
    let mult: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        "p" | "pb" | "pib" => 1 << 50,
        _ => return None,
    };
    Some((n * mult as f64) as u64)
}

impl Mount {
    /// Parse a `--mount` value. `expand` is applied to every value first;
    /// without it, values holding `$` are kept as written and not validated
    /// (they are checked again when the solver expands them).
    pub fn parse(spec: &str, expand: Option<Expander<'_>>) -> Result<Mount, String> {
        let fields = csv_fields(spec)?;
        let mut m = Mount::default();
        let mut ro_auto = true;
        for field in fields {
            let (key, value) = match field.split_once('=') {
                Some((k, v)) => (k.to_ascii_lowercase(), Some(v.to_string())),
                None => (field.to_ascii_lowercase(), None),
            };
            let Some(value) = value else {
                match key.as_str() {
                    "readonly" | "ro" => {
                        m.read_only = true;
                        ro_auto = false;
                    }
                    "readwrite" | "rw" => {
                        m.read_only = false;
                        ro_auto = false;
                    }
                    "required" if matches!(m.kind, MountType::Secret | MountType::Ssh) => {
                        m.required = true
                    }
                    "required" => {
                        return Err(format!(
                            "unexpected key '{key}' for mount type '{}'",
                            m.kind.as_str()
                        ))
                    }
                    _ => return Err(format!("invalid field '{field}' must be a key=value pair")),
                }
                continue;
            };
            if key == "from" {
                if let Some(i) = value.find('$') {
                    if i != value.len() - 1 {
                        return Err(format!(
                            "'{key}' doesn't support variable expansion, define alias stage instead"
                        ));
                    }
                }
            }
            let value = match expand {
                Some(f) => f(&value)?,
                None => value,
            };
            let unexpanded = expand.is_none() && value.contains('$');
            match key.as_str() {
                "type" => {
                    m.kind = match value.to_ascii_lowercase().as_str() {
                        "bind" => MountType::Bind,
                        "cache" => MountType::Cache,
                        "tmpfs" => MountType::Tmpfs,
                        "secret" => MountType::Secret,
                        "ssh" => MountType::Ssh,
                        _ if unexpanded => m.kind,
                        _ => {
                            let mut msg = format!("unsupported mount type \"{value}\"");
                            if let Some(s) =
                                did_you_mean(&value, &["bind", "cache", "tmpfs", "secret", "ssh"])
                            {
                                msg.push_str(&format!(" (did you mean {s}?)"));
                            }
                            return Err(msg);
                        }
                    }
                }
                "from" => m.from = Some(value),
                "source" | "src" => m.source = Some(value),
                "target" | "dst" | "destination" => m.target = Some(value),
                "readonly" | "ro" => {
                    m.read_only = if unexpanded {
                        true
                    } else {
                        parse_bool(&key, &value)?
                    };
                    ro_auto = false;
                }
                "readwrite" | "rw" => {
                    m.read_only = if unexpanded {
                        false
                    } else {
                        !parse_bool(&key, &value)?
                    };
                    ro_auto = false;
                }
                "required" => {
                    if !matches!(m.kind, MountType::Secret | MountType::Ssh) {
                        return Err(format!(
                            "unexpected key '{key}' for mount type '{}'",
                            m.kind.as_str()
                        ));
                    }
                    m.required = unexpanded || parse_bool(&key, &value)?;
                }
                "size" => {
                    if m.kind != MountType::Tmpfs {
                        return Err(format!(
                            "unexpected key '{key}' for mount type '{}'",
                            m.kind.as_str()
                        ));
                    }
                    if !unexpanded {
                        m.size_limit = Some(
                            ram_in_bytes(&value)
                                .ok_or_else(|| format!("invalid value for {key}: {value}"))?,
                        );
                    }
                }
                "id" => m.id = Some(value),
                "sharing" => {
                    m.sharing = match value.to_ascii_lowercase().as_str() {
                        "shared" => Some(Sharing::Shared),
                        "private" => Some(Sharing::Private),
                        "locked" => Some(Sharing::Locked),
                        _ if unexpanded => m.sharing,
                        _ => return Err(format!("unsupported sharing value \"{value}\"")),
                    }
                }
                "mode" if !unexpanded => {
                    m.mode = Some(
                        u32::from_str_radix(&value, 8)
                            .map_err(|_| format!("invalid value {value} for mode"))?,
                    )
                }
                "uid" if !unexpanded => {
                    m.uid = Some(
                        value
                            .parse()
                            .map_err(|_| format!("invalid value {value} for uid"))?,
                    )
                }
                "gid" if !unexpanded => {
                    m.gid = Some(
                        value
                            .parse()
                            .map_err(|_| format!("invalid value {value} for gid"))?,
                    )
                }
                "mode" | "uid" | "gid" => {}
                "env" => m.env = Some(value),
                _ => {
                    let keys = [
                        "type",
                        "from",
                        "source",
                        "target",
                        "readonly",
                        "id",
                        "sharing",
                        "required",
                        "size",
                        "mode",
                        "uid",
                        "gid",
                        "src",
                        "dst",
                        "destination",
                        "ro",
                        "rw",
                        "readwrite",
                        "env",
                    ];
                    let mut msg = format!("unexpected key '{key}' in '{field}'");
                    if let Some(s) = did_you_mean(&key, &keys) {
                        msg.push_str(&format!(" (did you mean {s}?)"));
                    }
                    return Err(msg);
                }
            }
        }
        let file_info = matches!(
            m.kind,
            MountType::Secret | MountType::Ssh | MountType::Cache
        );
        if !file_info {
            let t = m.kind.as_str();
            if m.mode.is_some() {
                return Err(format!("mode not allowed for \"{t}\" type mounts"));
            }
            if m.uid.is_some() {
                return Err(format!("uid not allowed for \"{t}\" type mounts"));
            }
            if m.gid.is_some() {
                return Err(format!("gid not allowed for \"{t}\" type mounts"));
            }
        }
        if ro_auto {
            m.read_only = !matches!(m.kind, MountType::Cache | MountType::Tmpfs);
        }
        if m.kind == MountType::Secret {
            if m.from.is_some() {
                return Err("secret mount should not have a from".into());
            }
            if m.sharing.is_some() {
                return Err("secret mount should not define sharing".into());
            }
            if m.source.is_none() && m.target.is_none() && m.id.is_none() {
                return Err("invalid secret mount. one of source, target required".into());
            }
            if m.source.is_some() && m.id.is_some() {
                return Err("both source and id can't be set".into());
            }
        }
        if m.sharing.is_some() && m.kind != MountType::Cache {
            return Err(format!(
                "invalid cache sharing set for {} mount",
                m.kind.as_str()
            ));
        }
        Ok(m)
    }
}
