// Reference code (not compiled here): the host-platform detection for armhf
// hosts recommended for embedded/registry/src/platform.rs Platform::host().
// Tested with the cases below in a scratch crate.

/// The OCI variant of the 32-bit ARM CPU this process runs on, read from
/// /proc/cpuinfo: "v7" on ARMv7 and on ARMv8 cores running a 32-bit
/// (armhf) userland, "v6" on ARMv6 (Raspberry Pi 1 / Zero), whose kernels
/// may report "CPU architecture: 7" with model name "ARMv6-compatible".
/// Falls back to the variant the binary was compiled for.
pub fn host_arm_variant() -> &'static str {
    match std::fs::read_to_string("/proc/cpuinfo") {
        Ok(text) => arm_variant_from_cpuinfo(&text).unwrap_or(compiled_arm_variant()),
        Err(_) => compiled_arm_variant(),
    }
}

/// What the compiler targeted: armv7 builds need a v7 CPU to run at all.
pub fn compiled_arm_variant() -> &'static str {
    if cfg!(target_feature = "v7") { "v7" } else { "v6" }
}

/// Pure part of [`host_arm_variant`]; `None` when cpuinfo says nothing useful.
pub fn arm_variant_from_cpuinfo(cpuinfo: &str) -> Option<&'static str> {
    let field = |name: &str| {
        cpuinfo.lines().find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_ascii_lowercase())
        })
    };
    if field("model name").is_some_and(|m| m.starts_with("armv6")) {
        return Some("v6");
    }
    match field("CPU architecture")?.as_str() {
        "6" | "6tej" | "5" | "5t" | "5te" | "5tej" => Some("v6"),
        // 8 (and "aarch64"): a 64-bit core with a 32-bit userland runs arm/v7
        // images; arm/v8 (32-bit) images practically do not exist.
        _ => Some("v7"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn pi_zero_quirk_is_v6() {
        let s = "processor\t: 0\nmodel name\t: ARMv6-compatible processor rev 7 (v6l)\nCPU architecture: 7\n";
        assert_eq!(arm_variant_from_cpuinfo(s), Some("v6"));
    }
    #[test]
    fn armv6_by_architecture() {
        assert_eq!(arm_variant_from_cpuinfo("CPU architecture: 6TEJ\n"), Some("v6"));
    }
    #[test]
    fn pi2_is_v7() {
        let s = "model name\t: ARMv7 Processor rev 5 (v7l)\nCPU architecture: 7\n";
        assert_eq!(arm_variant_from_cpuinfo(s), Some("v7"));
    }
    #[test]
    fn pi4_32bit_userland_is_v7() {
        let s = "model name\t: ARMv7 Processor rev 3 (v7l)\nCPU architecture: 8\n";
        assert_eq!(arm_variant_from_cpuinfo(s), Some("v7"));
    }
    #[test]
    fn nothing_useful() {
        assert_eq!(arm_variant_from_cpuinfo("processor: 0\n"), None);
    }
}
