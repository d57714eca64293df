//! Bad profiles are refused with the JSON path of the bad field.

use skiff_seccomp::{Arch, CompileOptions, Error, Profile};

fn err(json: &str) -> String {
    match Profile::from_json(json.as_bytes()) {
        Ok(p) => match p.compile(&CompileOptions::new(Arch::X86_64, &[])) {
            Ok(_) => panic!("accepted: {json}"),
            Err(e) => e.to_string(),
        },
        Err(e) => e.to_string(),
    }
}

#[test]
fn errors_name_the_field() {
    let cases = [
        (r#"{"syscalls": []}"#, "defaultAction"),
        (r#"{"defaultAction": "SCMP_ACT_NOPE"}"#, "defaultAction"),
        (
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO"},
               {"names": ["read"], "action": "ALLOW"}]}"#,
            "syscalls[1].action",
        ),
        (
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO",
               "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_SOMETIMES"}]}]}"#,
            "syscalls[0].args[0].op",
        ),
        (
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO",
               "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}"#,
            "syscalls[0].args[0].index",
        ),
        (
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO",
               "args": [{"index": 0, "value": -1, "op": "SCMP_CMP_EQ"}]}]}"#,
            "syscalls[0].args[0].value",
        ),
        (
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"name": "read", "names": ["write"], "action": "SCMP_ACT_ERRNO"}]}"#,
            "syscalls[0].name",
        ),
        (
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
               "includes": {"minKernel": "four"}}]}"#,
            "syscalls[0].includes.minKernel",
        ),
        (
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
               "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": null}]}"#,
            "architectures",
        ),
        (
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_NOPE"]}"#,
            "flags[0]",
        ),
        (
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_NOTIFY"}]}"#,
            "syscalls[0].action",
        ),
        (
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO""#,
            "EOF",
        ),
    ];
    for (json, field) in cases {
        let msg = err(json);
        eprintln!("{msg}");
        assert!(
            msg.contains(field),
            "{json}\n  -> {msg}\n  should name {field}"
        );
    }
}

#[test]
fn oci_linux_seccomp_and_nulls_are_accepted() {
    // The OCI runtime-spec form (what `docker inspect` shows) parses too.
    let oci = br#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
                   "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
                   "flags": null, "unknownFutureField": {"x": 1},
                   "syscalls": [{"names": ["read", "write", "exit_group"], "action": "SCMP_ACT_ALLOW", "args": null}]}"#;
    let p = Profile::from_json(oci).unwrap();
    let prog = p.compile(&CompileOptions::new(Arch::X86_64, &[])).unwrap();
    assert_eq!(prog.abis().len(), 2);
    assert!(matches!(
        Profile::from_json(b"[]"),
        Err(Error::Parse { .. })
    ));
}

#[test]
fn profiles_built_in_code_are_checked_too() {
    let mut p = Profile::docker_default();
    p.syscalls[2].args[0].index = 9;
    let e = p
        .compile(&CompileOptions::new(Arch::Arm, &[]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("syscalls[2].args[0].index"), "{e}");
}
