//! Syscall name → number tables. The numbers are data (`<abi>.tsv` here,
//! generated from Linux UAPI headers by `scripts/gen-syscall-tables`, see
//! there for sources; do not edit by hand), turned into sorted arrays in
//! OUT_DIR by build.rs.

use crate::arch::Abi;

/// `mod <abi>` holding `SYSCALLS`, the array build.rs made from `<abi>.tsv`.
macro_rules! table_module {
    ($abi:ident) => {
        mod $abi {
            include!(concat!(
                env!("OUT_DIR"),
                "/syscalls_",
                stringify!($abi),
                ".rs"
            ));
        }
    };
}

table_module!(aarch64);
table_module!(arm);
table_module!(x32);
table_module!(x86);
table_module!(x86_64);

pub(crate) fn table(abi: Abi) -> &'static [(&'static str, u32)] {
    match abi {
        Abi::X86_64 => x86_64::SYSCALLS,
        Abi::X86 => x86::SYSCALLS,
        Abi::X32 => x32::SYSCALLS,
        Abi::Aarch64 => aarch64::SYSCALLS,
        Abi::Arm => arm::SYSCALLS,
    }
}

pub(crate) fn lookup(abi: Abi, name: &str) -> Option<u32> {
    let t = table(abi);
    t.binary_search_by(|(n, _)| (*n).cmp(name))
        .ok()
        .map(|i| t[i].1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_and_known_numbers_match() {
        for abi in Abi::ALL {
            let t = table(abi);
            assert!(t.windows(2).all(|w| w[0].0 < w[1].0), "{abi:?} not sorted");
        }
        // Spot checks against the kernel's syscall tables.
        assert_eq!(lookup(Abi::X86_64, "read"), Some(0));
        assert_eq!(lookup(Abi::X86_64, "mount"), Some(165));
        assert_eq!(lookup(Abi::X86_64, "unshare"), Some(272));
        assert_eq!(lookup(Abi::X86, "socketcall"), Some(102));
        assert_eq!(lookup(Abi::X32, "read"), Some(0x4000_0000));
        assert_eq!(lookup(Abi::Aarch64, "mount"), Some(40));
        assert_eq!(lookup(Abi::Aarch64, "open"), None);
        assert_eq!(lookup(Abi::Arm, "mount"), Some(21));
        assert_eq!(lookup(Abi::Arm, "set_tls"), Some(0xf0005));
        assert_eq!(lookup(Abi::Arm, "clone3"), Some(435));
        assert_eq!(lookup(Abi::Arm, "cachestat"), Some(451));
    }
}
