//! The TLS + htpasswd registry of the test ground: the CA in certs.d,
//! `login` (wrong and right password, config.json mode), push, pull with
//! the saved credentials, `logout`.

mod common;

use std::path::Path;

use common::registry::*;
use common::*;

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn tls_registry_needs_its_ca_and_a_login() {
    let tls = ground("SKIFF_TEST_TLS_REGISTRY");
    let user = ground("SKIFF_TEST_TLS_USER");
    let password = ground("SKIFF_TEST_TLS_PASSWORD");
    let store = Store::new();
    let (_, target) = busybox_tagged_for(&store, &tls, "secure", "1");

    let docker_config = tempfile::tempdir().unwrap();
    let certs_d = tempfile::tempdir().unwrap();
    let skiff = |args: &[&str], stdin: Option<&str>| {
        let mut c = store.skiff();
        c.env("DOCKER_CONFIG", docker_config.path())
            .env("SKIFF_CERTS_D", certs_d.path())
            .args(args);
        output_with_stdin(&mut c, stdin.unwrap_or("").as_bytes())
    };

    // Unknown CA: a clear TLS error, even on loopback (no downgrade to HTTP).
    let out = skiff(&["push", &target], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("certificate signed by unknown authority"), "{t}");
    assert!(
        t.contains("ca.crt"),
        "the error should say where the CA goes: {t}"
    );

    // With the CA in certs.d: TLS is fine, but the push is unauthorized,
    // and nothing was uploaded before that was known.
    let dir = certs_d.path().join(&tls);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(ground("SKIFF_TEST_TLS_CA"), dir.join("ca.crt")).unwrap();
    let out = skiff(&["push", &target], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("unauthorized"), "{t}");
    assert!(!t.contains("Pushed"), "{t}");
    let storage = ground("SKIFF_TEST_TLS_STORAGE");
    let repo_name = target.split_once('/').unwrap().1.split(':').next().unwrap();
    assert!(
        !Path::new(&storage)
            .join("docker/registry/v2/repositories")
            .join(repo_name)
            .exists(),
        "an unauthorized push left state in the registry"
    );

    // Wrong password: refused, nothing saved.
    let out = skiff(
        &["login", "-u", &user, "--password-stdin", &tls],
        Some("wrong\n"),
    );
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("unauthorized"), "{}", text(&out));
    let config = docker_config.path().join("config.json");
    assert!(!config.exists() || !std::fs::read_to_string(&config).unwrap().contains(&tls));

    let out = skiff(
        &["login", "-u", &user, "--password-stdin", &tls],
        Some(&format!("{password}\n")),
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Login Succeeded"));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&config).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "config.json mode");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&config).unwrap()).unwrap();
    assert!(saved["auths"][&tls]["auth"].is_string(), "{saved}");

    let out = skiff(&["push", &target], None);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Pushed"), "{}", text(&out));

    // Pull it back into a fresh store over TLS with the saved credentials.
    let fresh = Store::new();
    let mut c = fresh.skiff();
    let out = c
        .env("DOCKER_CONFIG", docker_config.path())
        .env("SKIFF_CERTS_D", certs_d.path())
        .args(["pull", &target])
        .output()
        .unwrap();
    assert_success(&out, &["pull", &target]);

    let out = skiff(&["logout", &tls], None);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("Removing login credentials"),
        "{}",
        text(&out)
    );
    assert!(!std::fs::read_to_string(&config).unwrap().contains(&tls));
    // Logged out: unauthorized again.
    let out = skiff(&["push", &target], None);
    assert!(text(&out).contains("unauthorized"), "{}", text(&out));
}
