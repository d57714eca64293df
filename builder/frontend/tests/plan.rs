//! Planning semantics: ARG scoping, build args, automatic platform args,
//! the stage graph (deps, target, skipped), cycles and unknown references.

mod common;

use std::collections::BTreeMap;

use skiff_frontend::instructions::{ArgDecl, Command};
use skiff_frontend::{plan, Base, BuildPlan, EnvList, PlanOptions, Platform};

fn plan_of(df: &str, opts: &PlanOptions) -> Result<BuildPlan, skiff_frontend::Error> {
    plan(&skiff_frontend::parse(df.as_bytes()).unwrap(), opts)
}

fn opts() -> PlanOptions {
    PlanOptions {
        build_platform: Platform::new("linux", "amd64", None),
        ..PlanOptions::default()
    }
}

fn rules(p: &BuildPlan) -> Vec<String> {
    p.warnings
        .iter()
        .map(|w| format!("{}:{}", w.rule, w.message))
        .collect()
}

#[test]
fn global_args_only_in_from_unless_redeclared() {
    let df = "ARG V=3.19\nFROM alpine:$V AS a\nCOPY $V /x\nFROM alpine:${V}\nARG V\nCOPY $V /y\n";
    let p = plan_of(df, &opts()).unwrap();
    assert_eq!(p.stages[0].base, Base::Image("alpine:3.19".into()));
    assert_eq!(p.stages[1].base, Base::Image("alpine:3.19".into()));
    let undefined: Vec<_> = p
        .warnings
        .iter()
        .filter(|w| w.rule == "UndefinedVar")
        .collect();
    assert_eq!(undefined.len(), 1, "{:?}", rules(&p));
    assert_eq!(undefined[0].location.unwrap().start, 3);
}

#[test]
fn build_args_override_and_unused_ones_warn() {
    let mut o = opts();
    o.build_args = BTreeMap::from([
        ("V".into(), "edge".into()),
        ("ADDITIONAL_PACKAGE".into(), "".into()),
    ]);
    let p = plan_of("ARG V=3.19\nFROM alpine:$V\n", &o).unwrap();
    assert_eq!(p.stages[0].base, Base::Image("alpine:edge".into()));
    assert!(rules(&p)
        .iter()
        .any(|r| r.contains("[ADDITIONAL_PACKAGE] were not consumed")));
    // HTTP_PROXY and friends are always allowed.
    o.build_args = BTreeMap::from([("HTTP_PROXY".into(), "x".into())]);
    let p = plan_of("FROM alpine\n", &o).unwrap();
    assert!(p.warnings.is_empty(), "{:?}", rules(&p));
}

#[test]
fn automatic_platform_args() {
    let mut o = opts();
    o.target_platform = Some(Platform::parse("linux/arm/v7").unwrap());
    let df = "FROM --platform=$BUILDPLATFORM golang AS build\nARG TARGETARCH TARGETVARIANT\nENV GOARCH=$TARGETARCH GOARM=${TARGETVARIANT#v}\nFROM --platform=${TARGETPLATFORM} alpine\n";
    let p = plan_of(df, &o).unwrap();
    assert_eq!(
        p.stages[0].platform,
        Some(Platform::new("linux", "amd64", None))
    );
    assert_eq!(
        p.stages[1].platform,
        Some(Platform::new("linux", "arm", Some("v7")))
    );
    let auto = p.platform_args();
    let get = |k: &str| skiff_frontend::EnvGetter::get(&auto, k).map(str::to_string);
    assert_eq!(get("TARGETPLATFORM").as_deref(), Some("linux/arm/v7"));
    assert_eq!(get("TARGETVARIANT").as_deref(), Some("v7"));
    assert_eq!(get("BUILDARCH").as_deref(), Some("amd64"));
    assert!(p.warnings.is_empty(), "{:?}", rules(&p));
    let decl = ArgDecl {
        key: "TARGETARCH".into(),
        value: None,
    };
    assert_eq!(
        p.resolve_arg(&decl, &EnvList::new()).unwrap().as_deref(),
        Some("arm")
    );
}

#[test]
fn host_platform_mapping() {
    let h = Platform::host();
    match std::env::consts::ARCH {
        "x86_64" => assert_eq!(h.to_string(), "linux/amd64"),
        "aarch64" => assert_eq!(h.to_string(), "linux/arm64"),
        "arm" => assert_eq!(h.to_string(), "linux/arm/v7"),
        _ => {}
    }
    assert_eq!(
        Platform::parse("linux/aarch64").unwrap().to_string(),
        "linux/arm64"
    );
    assert_eq!(Platform::parse("arm64").unwrap().to_string(), "linux/arm64");
    assert!(Platform::parse("nope/amd64").is_err());
}

#[test]
fn stage_graph_target_and_skipped() {
    let df = "FROM alpine AS base\nFROM base AS build\nRUN --mount=type=cache,target=/c,from=tools true\nFROM busybox AS tools\nFROM alpine AS unused\nFROM scratch\nCOPY --from=build /a /a\nCOPY --from=0 /b /b\nCOPY --from=nginx:latest /c /c\n";
    let p = plan_of(df, &opts()).unwrap();
    assert_eq!(p.target, 4);
    assert_eq!(p.stages[1].base, Base::Stage(0));
    assert_eq!(p.stages[1].deps, vec![0, 2]);
    assert_eq!(p.stages[4].base, Base::Scratch);
    assert_eq!(p.stages[4].deps, vec![0, 1]);
    assert_eq!(p.stages[4].image_deps, vec!["nginx:latest".to_string()]);
    let skipped: Vec<bool> = p.stages.iter().map(|s| s.skipped).collect();
    assert_eq!(skipped, vec![false, false, false, true, false]);
    assert_eq!(p.build_order(), vec![0, 2, 1, 4]);

    let mut o = opts();
    o.target = Some("BUILD".into());
    let p = plan_of(df, &o).unwrap();
    assert_eq!(p.target, 1);
    let skipped: Vec<bool> = p.stages.iter().map(|s| s.skipped).collect();
    assert_eq!(skipped, vec![false, false, false, true, true]);
}

#[test]
fn cycles_and_bad_references() {
    let e = plan_of("FROM b AS a\nFROM a AS b\n", &opts()).unwrap_err();
    assert!(e.message.contains("circular dependency"), "{e}");
    let e = plan_of("FROM alpine AS a\nCOPY --from=a / /\n", &opts()).unwrap_err();
    assert!(e.message.contains("circular dependency"), "{e}");
    let e = plan_of("FROM alpine\nCOPY --from=1 / /\n", &opts()).unwrap_err();
    assert!(e.message.contains("invalid stage index"), "{e}");
    let e = plan_of("FROM alpine AS a\nFROM alpine AS a\n", &opts()).unwrap_err();
    assert!(e.message.contains("duplicate stage name"), "{e}");
    let p = plan_of("FROM alpine\nCOPY --from=bulder / /\n", &opts()).unwrap();
    assert!(
        rules(&p).iter().any(|r| r.starts_with("UnknownStage")),
        "{:?}",
        rules(&p)
    );
    let e = plan_of("RUN true\nFROM alpine\n", &opts()).unwrap_err();
    assert_eq!(e.location.unwrap().start, 1);
}

#[test]
fn typed_instructions() {
    let df = "FROM alpine\nCOPY --chown=1:1 --chmod=u+x --link --parents --exclude=*.md a b /d/\nADD --checksum=sha256:abc --keep-git-dir https://x/y.git /src\nRUN --mount=type=secret,id=tok,env=TOK --network=none --security=insecure echo\nHEALTHCHECK --interval=30s --timeout=1m30s --retries=3 CMD curl -f http://x/\nENV A=1 B=\"2 3\"\nENV LEGACY value with spaces\nEXPOSE 80/tcp 443\nONBUILD RUN echo hi\n";
    let p = plan_of(df, &opts()).unwrap();
    let ins = &p.stages[0].instructions;
    match &ins[0].command {
        Command::Copy(c) => {
            assert_eq!(c.files.sources, vec!["a", "b"]);
            assert_eq!(c.files.dest, "/d/");
            assert_eq!(c.files.chown.as_deref(), Some("1:1"));
            assert_eq!(c.files.chmod.as_deref(), Some("u+x"));
            assert!(c.files.link && c.parents);
            assert_eq!(c.files.excludes, vec!["*.md"]);
        }
        other => panic!("{other:?}"),
    }
    match &ins[1].command {
        Command::Add(a) => {
            assert_eq!(a.files.sources, vec!["https://x/y.git"]);
            assert_eq!(a.files.dest, "/src");
            assert_eq!(a.checksum.as_deref(), Some("sha256:abc"));
            assert_eq!(a.keep_git_dir, Some(true));
        }
        other => panic!("{other:?}"),
    }
    match &ins[2].command {
        Command::Run(r) => {
            assert!(matches!(
                &r.mounts[0],
                skiff_frontend::instructions::Mount::Secret { env: Some(e), .. } if e == "TOK"
            ));
            assert_eq!(
                r.network,
                Some(skiff_frontend::instructions::NetworkMode::None)
            );
            assert!(r.cmd.prepend_shell);
        }
        other => panic!("{other:?}"),
    }
    match &ins[3].command {
        Command::Healthcheck(skiff_frontend::instructions::Healthcheck::Check {
            test,
            timeout,
            retries,
            ..
        }) => {
            assert_eq!(
                test,
                &vec!["CMD-SHELL".to_string(), "curl -f http://x/".to_string()]
            );
            assert_eq!(timeout.as_secs(), 90);
            assert_eq!(*retries, 3);
        }
        other => panic!("{other:?}"),
    }
    match &ins[5].command {
        Command::Env(kv) => assert!(kv[0].no_delim && kv[0].value == "value with spaces"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(&ins[7].command, Command::Onbuild(e) if e == "RUN echo hi"));
    assert_eq!(ins[3].lines.start, 5);
}

/// What BuildKit wrote for `echo "$A|$B|..."` in a case's last RUN: the
/// automatic args of the last stage, resolved as the solver resolves them.
fn last_stage_args(case: &str, target: Option<&str>, names: &[&str]) -> String {
    let dir = common::conformance()
        .join("buildkit-build/cases")
        .join(case);
    let df = std::fs::read_to_string(dir.join("Dockerfile")).unwrap();
    let mut o = opts();
    o.target_platform = target.map(|t| Platform::parse(t).unwrap());
    let p = plan_of(&df, &o).unwrap();
    let args: Vec<String> = names
        .iter()
        .map(|k| {
            let decl = ArgDecl {
                key: k.to_string(),
                value: None,
            };
            p.resolve_arg(&decl, &EnvList::new())
                .unwrap()
                .unwrap_or_default()
        })
        .collect();
    args.join("|")
}

fn expected_file(case: &str, file: &str) -> String {
    let p = common::conformance()
        .join("buildkit-build/expected")
        .join(format!("{case}.files"));
    let text = std::fs::read_to_string(p).unwrap();
    let mut lines = text.lines();
    lines.find(|l| l.starts_with(&format!("--- {file} ")));
    lines.next().unwrap().to_string()
}

// BuildKit conformance: arm64 has no variant (TARGETVARIANT is empty, the
// platform is linux/arm64), an amd64 build's variants are empty too.
#[test]
fn platform_args_match_buildkit() {
    let case = "36-cross-platform-arm64";
    let opts = std::fs::read_to_string(
        common::conformance()
            .join("buildkit-build/cases")
            .join(case)
            .join("build.opts"),
    )
    .unwrap();
    let target = opts
        .lines()
        .find_map(|l| l.strip_prefix("platform "))
        .unwrap()
        .trim()
        .to_string();
    assert_eq!(
        last_stage_args(
            case,
            Some(&target),
            &["TARGETPLATFORM", "TARGETARCH", "TARGETVARIANT"]
        ),
        expected_file(case, "/target")
    );
    let all = [
        "TARGETPLATFORM",
        "TARGETOS",
        "TARGETARCH",
        "TARGETVARIANT",
        "BUILDPLATFORM",
        "BUILDOS",
        "BUILDARCH",
        "BUILDVARIANT",
    ];
    let case = "13-platform-args";
    assert_eq!(
        last_stage_args(case, None, &all),
        expected_file(case, "/platforms")
    );
    // Asked for with its implied v8, arm64 is still plain arm64.
    assert_eq!(
        last_stage_args(
            "36-cross-platform-arm64",
            Some("linux/arm64/v8"),
            &["TARGETPLATFORM", "TARGETVARIANT"]
        ),
        "linux/arm64|"
    );
}
