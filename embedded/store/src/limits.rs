//! How much uncompressed content one layer, and one image, may unpack to.
//!
//! A layer's tar declares each file's size up front (a GNU sparse entry
//! its full apparent size), so a few hundred bytes of tar can ask for a
//! petabyte. The unpacker checks every entry's declared size against what
//! is left of these budgets before reading its data, and refuses the entry
//! by name. Defaults are large but finite; both can be changed with an
//! environment variable or a key of skiff's config file
//! (`/etc/skiff/config.json`, moved by `SKIFF_CONFIG`), the variable
//! winning:
//!
//! | limit     | default | variable               | config key         |
//! |-----------|---------|------------------------|--------------------|
//! | per layer | 64 GiB  | `SKIFF_MAX_LAYER_SIZE` | `"max-layer-size"` |
//! | per image | 256 GiB | `SKIFF_MAX_IMAGE_SIZE` | `"max-image-size"` |
//!
//! Values are bytes, or a number with a binary suffix (`K`, `M`, `G`, `T`,
//! `P`, optionally followed by `iB` or `B`): `SKIFF_MAX_LAYER_SIZE=100G`.

use crate::error::{Error, Result};

pub const DEFAULT_LAYER_LIMIT: u64 = 64 << 30;
pub const DEFAULT_IMAGE_LIMIT: u64 = 256 << 30;
pub const LAYER_VAR: &str = "SKIFF_MAX_LAYER_SIZE";
pub const IMAGE_VAR: &str = "SKIFF_MAX_IMAGE_SIZE";
const LAYER_KEY: &str = "max-layer-size";
const IMAGE_KEY: &str = "max-image-size";

/// The two budgets, in bytes of uncompressed regular-file content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnpackLimits {
    pub layer: u64,
    pub image: u64,
}

impl Default for UnpackLimits {
    fn default() -> Self {
        UnpackLimits {
            layer: DEFAULT_LAYER_LIMIT,
            image: DEFAULT_IMAGE_LIMIT,
        }
    }
}

impl UnpackLimits {
    /// The limits in force: variables, then the config file, then defaults.
    /// A value that does not parse is an error naming where it came from.
    pub fn current() -> Result<UnpackLimits> {
        let path = std::env::var_os("SKIFF_CONFIG")
            .filter(|v| !v.is_empty())
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| "/etc/skiff/config.json".into());
        let file: serde_json::Value = match std::fs::read(&path) {
            Ok(b) => serde_json::from_slice(&b).unwrap_or_default(),
            Err(_) => serde_json::Value::Null,
        };
        let pick = |var: &str, key: &str, default: u64| -> Result<u64> {
            if let Some(v) = std::env::var_os(var).filter(|v| !v.is_empty()) {
                let v = v.to_string_lossy();
                return parse_size(&v)
                    .ok_or_else(|| Error::InvalidImage(format!("{var}={v}: not a size")));
            }
            match &file[key] {
                serde_json::Value::Null => Ok(default),
                serde_json::Value::Number(n) => n.as_u64().ok_or_else(|| bad(&path, key)),
                serde_json::Value::String(s) => parse_size(s).ok_or_else(|| bad(&path, key)),
                _ => Err(bad(&path, key)),
            }
        };
        Ok(UnpackLimits {
            layer: pick(LAYER_VAR, LAYER_KEY, DEFAULT_LAYER_LIMIT)?,
            image: pick(IMAGE_VAR, IMAGE_KEY, DEFAULT_IMAGE_LIMIT)?,
        })
    }
}

fn bad(path: &std::path::Path, key: &str) -> Error {
    Error::InvalidImage(format!("{}: \"{key}\" is not a size", path.display()))
}

/// `123`, `64G`, `64GiB`, `64gb` (binary units); `1.5T` is not accepted
/// (whole numbers only).
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let n: u64 = s[..digits].parse().ok()?;
    let unit = s[digits..].trim().to_ascii_uppercase();
    let unit = unit
        .strip_suffix("IB")
        .or_else(|| unit.strip_suffix('B'))
        .unwrap_or(&unit);
    let shift = match unit {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        "P" => 50,
        _ => return None,
    };
    n.checked_mul(1u64 << shift)
}

/// Human form of a limit for messages: `64 GiB`, or bytes when uneven.
pub fn human(n: u64) -> String {
    for (shift, unit) in [
        (50, "PiB"),
        (40, "TiB"),
        (30, "GiB"),
        (20, "MiB"),
        (10, "KiB"),
    ] {
        if n >= 1 << shift && n.is_multiple_of(1 << shift) {
            return format!("{} {unit}", n >> shift);
        }
    }
    format!("{n} bytes")
}

/// The per-image budget, one per image and shared by all its layers: a
/// pull unpacks several layers at once, each taking from the same count.
#[derive(Debug, Clone)]
pub struct ImageBudget {
    left: std::sync::Arc<std::sync::atomic::AtomicU64>,
    limit: u64,
}

impl ImageBudget {
    /// The budget of an image whose layers already hold `used` bytes.
    pub fn new(limits: UnpackLimits, used: u64) -> ImageBudget {
        ImageBudget {
            left: std::sync::Arc::new(limits.image.saturating_sub(used).into()),
            limit: limits.image,
        }
    }

    /// Take `size` bytes, or fail leaving the count as it was.
    fn take(&self, size: u64) -> bool {
        use std::sync::atomic::Ordering;
        self.left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(size)
            })
            .is_ok()
    }
}

/// What is left of the budgets during one layer's unpack.
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    /// Bytes this layer may still hold under the per-layer limit.
    pub layer_left: u64,
    pub layer_limit: u64,
    /// The image's budget, shared with its other layers.
    pub image: ImageBudget,
}

impl Budget {
    pub fn new(limits: UnpackLimits, image_used: u64) -> Budget {
        Budget::in_image(limits, ImageBudget::new(limits, image_used))
    }

    /// A layer of an image whose budget is `image`.
    pub fn in_image(limits: UnpackLimits, image: ImageBudget) -> Budget {
        Budget {
            layer_left: limits.layer,
            layer_limit: limits.layer,
            image,
        }
    }

    /// Take `size` bytes for one entry, or say which limit it breaks.
    pub fn take(&mut self, size: u64) -> std::result::Result<(), String> {
        if size > self.layer_left {
            return Err(format!(
                "its {size} bytes exceed the per-layer limit of {} ({LAYER_VAR} or \"{LAYER_KEY}\" in /etc/skiff/config.json)",
                human(self.layer_limit)
            ));
        }
        if !self.image.take(size) {
            return Err(format!(
                "its {size} bytes exceed the per-image limit of {} ({IMAGE_VAR} or \"{IMAGE_KEY}\" in /etc/skiff/config.json)",
                human(self.image.limit)
            ));
        }
        self.layer_left -= size;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_suffixes() {
        assert_eq!(parse_size("123"), Some(123));
        assert_eq!(parse_size("64G"), Some(64 << 30));
        assert_eq!(parse_size("64GiB"), Some(64 << 30));
        assert_eq!(parse_size("2 mb"), Some(2 << 20));
        assert_eq!(parse_size("1P"), Some(1 << 50));
        assert_eq!(parse_size("1.5T"), None);
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_size("99999999P"), None);
        assert_eq!(human(64 << 30), "64 GiB");
        assert_eq!(human(1000), "1000 bytes");
    }

    #[test]
    fn the_budget_names_the_limit_broken() {
        let mut b = Budget::new(
            UnpackLimits {
                layer: 100,
                image: 150,
            },
            60,
        );
        b.take(50).unwrap();
        let e = b.take(50).unwrap_err();
        assert!(e.contains("per-image limit of 150 bytes"), "{e}");
        let e = b.take(101).unwrap_err();
        assert!(
            e.contains("per-layer limit") && e.contains(LAYER_VAR),
            "{e}"
        );
    }
}
