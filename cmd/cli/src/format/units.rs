//! docker's human-readable sizes and durations (go-units), the one copy
//! every command prints with.

/// go-units' HumanSizeWithPrecision: decimal units, `prec` significant digits.
pub fn human_size_prec(mut size: f64, prec: usize) -> String {
    const UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    let mut i = 0;
    while size >= 1000.0 && i < UNITS.len() - 1 {
        size /= 1000.0;
        i += 1;
    }
    format!("{}{}", fmt_g(size, prec), UNITS[i])
}

/// go-units' HumanSize (4 significant digits): `system df`, prune totals,
/// transfer progress.
pub fn human_size(size: u64) -> String {
    human_size_prec(size as f64, 4)
}

/// go-units' BytesSize: binary units, 4 significant digits (`stats`).
pub fn bytes_size(size: u64) -> String {
    const UNITS: [&str; 9] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];
    let mut v = size as f64;
    let mut i = 0;
    while v >= 1024.0 && i < UNITS.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    format!("{}{}", fmt_g(v, 4), UNITS[i])
}

/// Go's `%.{prec}g` for the small positive numbers sizes produce.
fn fmt_g(v: f64, prec: usize) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let exp = v.abs().log10().floor() as i64;
    let decimals = (prec as i64 - 1 - exp).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// go-units' HumanDuration ("5 seconds", "About a minute", "3 weeks").
pub fn human_duration(secs: u64) -> String {
    let minutes = secs / 60;
    let hours = (secs as f64 / 3600.0 + 0.5) as u64;
    if secs < 1 {
        "Less than a second".into()
    } else if secs == 1 {
        "1 second".into()
    } else if secs < 60 {
        format!("{secs} seconds")
    } else if minutes == 1 {
        "About a minute".into()
    } else if minutes < 60 {
        format!("{minutes} minutes")
    } else if hours == 1 {
        "About an hour".into()
    } else if hours < 48 {
        format!("{hours} hours")
    } else if hours < 24 * 7 * 2 {
        format!("{} days", hours / 24)
    } else if hours < 24 * 30 * 2 {
        format!("{} weeks", hours / 24 / 7)
    } else if hours < 24 * 365 * 2 {
        format!("{} months", hours / 24 / 30)
    } else {
        format!("{} years", secs / 3600 / 24 / 365)
    }
}

/// How long ago an RFC 3339 time was, as docker prints it; None when the
/// text is not a time.
pub fn since_rfc3339(t: &str) -> Option<String> {
    let t = skiff_store::chrono::DateTime::parse_from_rfc3339(t).ok()?;
    let secs = (skiff_store::chrono::Utc::now() - t.to_utc()).num_seconds();
    Some(human_duration(secs.max(0) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_like_docker() {
        assert_eq!(human_size_prec(4261550.0, 3), "4.26MB");
        assert_eq!(human_size_prec(123.0, 3), "123B");
        assert_eq!(human_size_prec(1000.0, 3), "1kB");
        assert_eq!(human_size_prec(0.0, 3), "0B");
        assert_eq!(human_size(1_234_567), "1.235MB");
        assert_eq!(bytes_size(1536 * 1024), "1.5MiB");
        assert_eq!(bytes_size(512), "512B");
    }

    /// images and ps had two copies; ps's stopped at days and turned 90
    /// minutes into "About an hour". go-units rounds hours and goes on to
    /// weeks, months and years: that is the one kept.
    #[test]
    fn durations_like_docker() {
        assert_eq!(human_duration(0), "Less than a second");
        assert_eq!(human_duration(1), "1 second");
        assert_eq!(human_duration(90), "About a minute");
        assert_eq!(human_duration(90 * 60), "2 hours");
        assert_eq!(human_duration(3 * 86400), "3 days");
        assert_eq!(human_duration(20 * 86400), "2 weeks");
        assert_eq!(human_duration(90 * 86400), "3 months");
        assert_eq!(human_duration(3 * 365 * 86400), "3 years");
    }
}
