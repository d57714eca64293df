//! Kernel versions, for docker's `minKernel` includes/excludes.

/// `major.minor`, compared as docker does (patch levels are ignored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KernelVersion {
    pub major: u32,
    pub minor: u32,
}

impl KernelVersion {
    pub const fn new(major: u32, minor: u32) -> KernelVersion {
        KernelVersion { major, minor }
    }

    /// Parses `"4.8"` (profile syntax) or a release like `"6.1.0-18-amd64"`.
    pub fn parse(s: &str) -> Result<KernelVersion, String> {
        let bad = || format!("invalid kernel version {s:?} (expected major.minor, e.g. \"4.8\")");
        let mut parts = s.splitn(3, '.');
        let major = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let minor_digits: String = parts
            .next()
            .ok_or_else(bad)?
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let minor = minor_digits.parse().map_err(|_| bad())?;
        Ok(KernelVersion { major, minor })
    }

    /// The running kernel, from uname(2).
    pub fn running() -> Result<KernelVersion, String> {
        // SAFETY: utsname is plain data; uname fills it or fails.
        let mut uts: libc::utsname = unsafe { std::mem::zeroed() };
        if unsafe { libc::uname(&mut uts) } != 0 {
            return Err(format!("uname: {}", std::io::Error::last_os_error()));
        }
        let release: Vec<u8> = uts
            .release
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8)
            .collect();
        KernelVersion::parse(&String::from_utf8_lossy(&release))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_profile_and_release_forms() {
        assert_eq!(KernelVersion::parse("4.8"), Ok(KernelVersion::new(4, 8)));
        assert_eq!(
            KernelVersion::parse("6.1.0-18-amd64"),
            Ok(KernelVersion::new(6, 1))
        );
        assert_eq!(
            KernelVersion::parse("5.10-rc1"),
            Ok(KernelVersion::new(5, 10))
        );
        assert!(KernelVersion::parse("4").is_err());
        assert!(KernelVersion::parse("x.1").is_err());
        assert!(KernelVersion::new(4, 8) < KernelVersion::new(4, 10));
        assert!(KernelVersion::running().is_ok());
    }
}
