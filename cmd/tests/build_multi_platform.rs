//! `skiff build --platform a,b,c`: every platform built from its own base
//! manifest, RUN under the host's qemu binfmt handlers, the TARGET*/BUILD*
//! args, `FROM --platform=$BUILDPLATFORM`, an image index as the result and
//! buildx's multi-platform export layouts. Uses the ground's conformance
//! registry (127.0.0.1:5000: busybox-multi = amd64 + arm64/v8 + arm/v7,
//! busybox = amd64 only) and its registered qemu-aarch64/qemu-arm handlers.
//! Emulated RUNs are slow: each one here is a single trivial command.

mod common;

use std::path::Path;
use std::process::Output;

use common::build::{build, build_to_dir, dockerfile_context, steps};
use common::{assert_fails, ground, index_platforms, skopeo_inspect, Store};

const MULTI: &str = "127.0.0.1:5000/busybox-multi:latest";
const AMD64_ONLY: &str = "127.0.0.1:5000/busybox:latest";

/// `skiff build --platform PLATFORMS ARGS... CTX`.
fn build_for(s: &Store, platforms: &str, args: &[&str], ctx: &Path) -> Output {
    let mut all = vec!["build", "--platform", platforms];
    all.extend_from_slice(args);
    all.push(ctx.to_str().unwrap());
    s.run(&all)
}

/// ELF e_machine of a file: 62 x86-64, 183 aarch64, 40 arm.
fn e_machine(path: &Path) -> u16 {
    let b = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(&b[..4], b"\x7fELF", "{} is not ELF", path.display());
    u16::from_le_bytes([b[18], b[19]])
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .trim()
        .to_string()
}

/// The build platform as BuildKit spells it, and `uname -m` there.
fn host() -> (&'static str, &'static str, &'static str) {
    match std::env::consts::ARCH {
        "x86_64" => ("linux/amd64", "amd64", "x86_64"),
        "aarch64" => ("linux/arm64", "arm64", "aarch64"),
        other => panic!("no expectations written for a {other} host"),
    }
}

#[test]
#[ignore = "needs the test ground (scripts/test)"]
fn three_platforms_each_from_its_own_base_and_run_under_emulation() {
    let s = Store::new();
    let ctx = dockerfile_context(&format!("FROM {MULTI}\nRUN uname -m > /arch\n"));
    let platforms = "linux/amd64,linux/arm64,linux/arm/v7";
    let (out, progress) = build_to_dir(&s, &["--platform", platforms], ctx.path());
    // buildx's local layout: one directory per platform.
    for (dir, uname, machine) in [
        ("linux_amd64", "x86_64", 62),
        ("linux_arm64", "aarch64", 183),
        ("linux_arm_v7", "armv7l", 40),
    ] {
        let root = out.path().join(dir);
        assert_eq!(read(&root.join("arch")), uname, "uname -m in the {dir} RUN");
        assert_eq!(
            e_machine(&root.join("bin/busybox")),
            machine,
            "{dir}'s busybox"
        );
    }
    // Steps are titled with their platform, as BuildKit does.
    assert!(
        progress.contains("[linux/arm/v7 stage-0 2/2] RUN uname -m > /arch"),
        "{progress}"
    );
}

#[test]
#[ignore = "needs the test ground (scripts/test)"]
fn one_tag_built_for_two_platforms_in_turn_gives_two_images() {
    let s = Store::new();
    let ctx = dockerfile_context(&format!("FROM {MULTI}\nRUN uname -m > /arch\n"));
    let iid = ctx.path().join("iid");
    // Builds `mp/turns` for `platform`: its image ID and the progress.
    let build_turn = |platform: &str| {
        let iid_s = iid.to_str().unwrap();
        let c = ctx.path().to_str().unwrap();
        let args = [
            "--platform",
            platform,
            "-t",
            "mp/turns",
            "--iidfile",
            iid_s,
            c,
        ];
        let (progress, _) = build(&s, &args);
        (read(&iid), progress)
    };
    let (arm64, _) = build_turn("linux/arm64");
    let (armv7, progress) = build_turn("linux/arm/v7");
    assert_ne!(arm64, armv7, "the arm/v7 build reused the arm64 image");
    assert!(
        steps(&progress).iter().all(|(_, cached)| !cached),
        "the arm/v7 RUN came from the arm64 cache:\n{progress}"
    );
    let cfg = common::inspect_json(&s, &armv7);
    assert_eq!(cfg["Architecture"], "arm", "{cfg}");
    assert_eq!(cfg["Variant"], "v7", "{cfg}");
    let out = s.run(&["run", "--rm", &armv7, "cat", "/arch"]);
    assert_eq!(
        common::stdout(&out).trim(),
        "armv7l",
        "{}",
        common::text(&out)
    );
}

#[test]
#[ignore = "needs the test ground (scripts/test)"]
fn a_platform_the_base_lacks_is_an_error_naming_image_and_platforms() {
    let s = Store::new();
    // An index without the platform, and a single-platform base of another
    // architecture (never used silently): a failed solve, as BuildKit's
    // (exit 1), naming the image and the platforms.
    let cases: [(&str, &str, &[&str]); 2] = [
        (
            MULTI,
            "linux/amd64,linux/s390x",
            &[
                "busybox-multi",
                "linux/s390x",
                "linux/amd64",
                "linux/arm64",
                "linux/arm/v7",
            ],
        ),
        (
            AMD64_ONLY,
            "linux/arm64",
            &[
                "no match for platform in manifest",
                "busybox",
                "linux/amd64",
            ],
        ),
    ];
    for (base, platforms, says) in cases {
        let ctx = dockerfile_context(&format!("FROM {base}\nRUN true\n"));
        assert_fails(&build_for(&s, platforms, &[], ctx.path()), 1, says);
    }
}

#[test]
#[ignore = "needs the test ground (scripts/test)"]
fn run_for_a_platform_without_emulator_says_how_to_enable_it() {
    // No qemu-s390x handler is registered on the ground (only aarch64 and arm).
    let handlers: Vec<String> = std::fs::read_dir("/proc/sys/fs/binfmt_misc")
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !handlers.iter().any(|h| h.contains("s390x")),
        "the ground registers s390x emulation ({handlers:?}): pick another platform for this test"
    );
    let s = Store::new();
    let ctx = dockerfile_context("FROM scratch\nCOPY Dockerfile /bin/sh\nRUN true\n");
    let out = build_for(&s, "linux/s390x", &[], ctx.path());
    assert_fails(&out, 1, &["linux/s390x", "binfmt_misc", "qemu-user-static"]);
}

#[test]
#[ignore = "needs the test ground (scripts/test)"]
fn platform_args_and_the_build_platform_stage_pattern() {
    let (build_platform, build_arch, build_uname) = host();
    let s = Store::new();
    // The Go/faas pattern: the compile stage runs natively on the build
    // platform and knows the target; the final stage is the target's.
    let ctx = dockerfile_context(&format!(
        "FROM --platform=$BUILDPLATFORM {MULTI} AS build\n\
         ARG TARGETPLATFORM TARGETOS TARGETARCH TARGETVARIANT BUILDPLATFORM BUILDOS BUILDARCH BUILDVARIANT\n\
         RUN echo \"$TARGETPLATFORM|$TARGETOS|$TARGETARCH|$TARGETVARIANT|$BUILDPLATFORM|$BUILDOS|$BUILDARCH|$BUILDVARIANT|$(uname -m)\" > /args\n\
         FROM {MULTI}\n\
         COPY --from=build /args /args\n\
         RUN uname -m > /arch\n"
    ));
    let (out, _) = build_to_dir(&s, &["--platform", "linux/arm64,linux/arm/v7"], ctx.path());
    let b = format!("{build_platform}|linux|{build_arch}||{build_uname}");
    let arm64 = out.path().join("linux_arm64");
    let armv7 = out.path().join("linux_arm_v7");
    assert_eq!(
        read(&arm64.join("args")),
        format!("linux/arm64|linux|arm64||{b}")
    );
    assert_eq!(
        read(&armv7.join("args")),
        format!("linux/arm/v7|linux|arm|v7|{b}")
    );
    assert_eq!(read(&arm64.join("arch")), "aarch64");
    assert_eq!(read(&armv7.join("arch")), "armv7l");
}

#[test]
#[ignore = "needs the test ground (scripts/test)"]
fn oci_output_holds_the_index_and_docker_output_is_refused() {
    let s = Store::new();
    let ctx = dockerfile_context(&format!("FROM {MULTI}\nENV X=1\n"));
    let c = ctx.path().to_str().unwrap();
    let out = tempfile::tempdir().unwrap();
    let tar = out.path().join("img.tar");
    let dest = format!("type=oci,dest={}", tar.display());
    build(
        &s,
        &["--platform", "linux/amd64,linux/arm64", "-o", &dest, c],
    );
    let (raw, index) = skopeo_inspect(&["--raw", &format!("oci-archive:{}", tar.display())]);
    assert_eq!(
        index["mediaType"], "application/vnd.oci.image.index.v1+json",
        "{raw}"
    );
    let archs: Vec<&str> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["platform"]["architecture"].as_str().unwrap())
        .collect();
    assert_eq!(archs, ["amd64", "arm64"], "{raw}");

    let dest = format!("type=docker,dest={}", out.path().join("d.tar").display());
    let o = build_for(&s, "linux/amd64,linux/arm64", &["-o", &dest], ctx.path());
    assert_fails(
        &o,
        125,
        &["does not currently support exporting manifest lists"],
    );
}

#[test]
#[ignore = "needs the test ground (scripts/test)"]
fn buildx_push_of_three_platforms_gives_an_index_in_the_registry() {
    let reg = ground("SKIFF_TEST_REGISTRY");
    let s = Store::new();
    let ctx = dockerfile_context(&format!("FROM {MULTI}\nRUN uname -m > /arch\n"));
    let image = format!("{reg}/mp/pushed:three");
    // faas-cli's calls, in its order.
    let name = s.ok(&[
        "buildx",
        "create",
        "--use",
        "--name=multiarch",
        "--node=multiarch",
    ]);
    assert_eq!(name.trim(), "multiarch");
    let inspect = s.ok(&["buildx", "inspect", "--bootstrap"]);
    for p in ["linux/amd64", "linux/arm64", "linux/arm/v7"] {
        assert!(
            inspect.contains(p),
            "{p} missing from buildx inspect: {inspect}"
        );
    }
    assert!(s.ok(&["buildx", "ls"]).contains("linux/arm64"));
    s.ok(&[
        "buildx",
        "build",
        "--progress=plain",
        "--platform=linux/amd64,linux/arm64,linux/arm/v7",
        "--output=type=registry,push=true",
        "--tag",
        &image,
        ctx.path().to_str().unwrap(),
    ]);
    // One image in the store, as docker's containerd store shows it: the
    // platforms' manifests are its entries, not dangling images.
    let images = s.ok(&["images"]);
    assert!(!images.contains("<none>"), "{images}");
    let tree = s.ok(&["images", "--tree"]);
    assert!(tree.contains("linux/arm/v7"), "{tree}");
    let (raw, index) =
        skopeo_inspect(&["--raw", "--tls-verify=false", &format!("docker://{image}")]);
    let entries = index["manifests"].as_array().unwrap();
    assert_eq!(
        index_platforms(&index),
        ["linux/amd64", "linux/arm64/v8", "linux/arm/v7"],
        "{raw}"
    );
    // Each manifest's config is of its platform.
    for (m, arch) in entries.iter().zip(["amd64", "arm64", "arm"]) {
        let repo = image.rsplit_once(':').unwrap().0;
        let (_, cfg) = skopeo_inspect(&[
            "--config",
            "--raw",
            "--tls-verify=false",
            &format!("docker://{repo}@{}", m["digest"].as_str().unwrap()),
        ]);
        assert_eq!(cfg["architecture"], arch, "{cfg}");
    }
}

#[test]
#[ignore = "needs the test ground (scripts/test)"]
fn a_build_platform_stage_without_target_args_runs_once_for_all_targets() {
    let s = Store::new();
    let ctx = dockerfile_context(&format!(
        "FROM --platform=$BUILDPLATFORM {MULTI} AS build\n\
         RUN echo built > /b\n\
         FROM {MULTI}\n\
         COPY --from=build /b /b\n"
    ));
    let (progress, _) = build(
        &s,
        &[
            "--platform",
            "linux/arm64,linux/arm/v7",
            ctx.path().to_str().unwrap(),
        ],
    );
    let runs: Vec<bool> = steps(&progress)
        .into_iter()
        .filter(|(title, _)| title.contains("RUN echo built"))
        .map(|(_, cached)| cached)
        .collect();
    // Both platforms' builds reach the step; one makes it, the other waits
    // for it and takes it from the cache.
    assert_eq!(runs.len(), 2, "{progress}");
    assert_eq!(runs.iter().filter(|c| !**c).count(), 1, "{progress}");
}
