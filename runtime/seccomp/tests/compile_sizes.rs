use skiff_seccomp::{Arch, CompileOptions, KernelVersion, Profile};

#[test]
fn docker_default_fits_for_every_arch() {
    let p = Profile::docker_default();
    for arch in [Arch::X86_64, Arch::Aarch64, Arch::Arm] {
        for caps in [&[][..], &["CAP_SYS_ADMIN"][..]] {
            let opts = CompileOptions {
                arch,
                capabilities: caps,
                kernel: Some(KernelVersion::new(6, 1)),
            };
            let prog = p.compile(&opts).unwrap();
            eprintln!(
                "{arch:?} caps={caps:?}: {} instructions, abis {:?}",
                prog.len(),
                prog.abis()
            );
            assert!(prog.len() < 4096);
        }
    }
}
