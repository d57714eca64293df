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

/// One `--mount` of a RUN instruction, by type: each variant holds only
/// the options that type takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mount {
    /// A read-only (by default) view of the context, a stage or an image.
    Bind {
        /// Stage name/index or image the source comes from; the context if None.
        from: Option<String>,
        source: Option<String>,
        target: Option<String>,
        read_only: bool,
    },
    /// A directory kept between builds, keyed by `id` (default: target).
    Cache {
        id: Option<String>,
        from: Option<String>,
        source: Option<String>,
        target: Option<String>,
        read_only: bool,
        sharing: Option<Sharing>,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
    },
    Tmpfs {
        target: Option<String>,
        /// Size in bytes.
        size_limit: Option<u64>,
    },
    /// A `--secret` file, never part of a layer.
    Secret {
        id: Option<String>,
        source: Option<String>,
        target: Option<String>,
        /// Fail when not provided.
        required: bool,
        /// Exposed as this environment variable.
        env: Option<String>,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
    },
    /// An SSH agent socket.
    Ssh {
        id: Option<String>,
        target: Option<String>,
        required: bool,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
    },
}

/// Every option as parsed, in any order (`type` may come last); becomes a
/// [`Mount`] once complete.
#[derive(Default)]
struct Fields {
    kind: MountType,
    from: Option<String>,
    source: Option<String>,
    target: Option<String>,
    read_only: bool,
    size_limit: Option<u64>,
    id: Option<String>,
    sharing: Option<Sharing>,
    required: bool,
    env: Option<String>,
    mode: Option<u32>,
    uid: Option<u32>,
    gid: Option<u32>,
}

impl Fields {
    fn into_mount(self) -> Mount {
        let f = self;
        match f.kind {
            MountType::Bind => Mount::Bind {
                from: f.from,
                source: f.source,
                target: f.target,
                read_only: f.read_only,
            },
            MountType::Cache => Mount::Cache {
                id: f.id,
                from: f.from,
                source: f.source,
                target: f.target,
                read_only: f.read_only,
                sharing: f.sharing,
                mode: f.mode,
                uid: f.uid,
                gid: f.gid,
            },
            MountType::Tmpfs => Mount::Tmpfs {
                target: f.target,
                size_limit: f.size_limit,
            },
            MountType::Secret => Mount::Secret {
                id: f.id,
                source: f.source,
                target: f.target,
                required: f.required,
                env: f.env,
                mode: f.mode,
                uid: f.uid,
                gid: f.gid,
            },
            MountType::Ssh => Mount::Ssh {
                id: f.id,
                target: f.target,
                required: f.required,
                mode: f.mode,
                uid: f.uid,
                gid: f.gid,
            },
        }
    }
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
    /// The mount's type.
    pub fn kind(&self) -> MountType {
        match self {
            Mount::Bind { .. } => MountType::Bind,
            Mount::Cache { .. } => MountType::Cache,
            Mount::Tmpfs { .. } => MountType::Tmpfs,
            Mount::Secret { .. } => MountType::Secret,
            Mount::Ssh { .. } => MountType::Ssh,
        }
    }

    /// The stage or image a bind or cache mount reads from.
    pub fn from(&self) -> Option<&str> {
        match self {
            Mount::Bind { from, .. } | Mount::Cache { from, .. } => from.as_deref(),
            _ => None,
        }
    }

    /// Where the mount appears in the container, as written.
    pub fn target(&self) -> Option<&str> {
        match self {
            Mount::Bind { target, .. }
            | Mount::Cache { target, .. }
            | Mount::Tmpfs { target, .. }
            | Mount::Secret { target, .. }
            | Mount::Ssh { target, .. } => target.as_deref(),
        }
    }

    /// Parse a `--mount` value. `expand` is applied to every value first;
    /// without it, values holding `$` are kept as written and not validated
    /// (they are checked again when the solver expands them).
    pub fn parse(spec: &str, expand: Option<Expander<'_>>) -> Result<Mount, String> {
        let fields = csv_fields(spec)?;
        let mut m = Fields::default();
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
        Ok(m.into_mount())
    }
}
