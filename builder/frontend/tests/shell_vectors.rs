//! BuildKit shell lexer vectors: envVarTest (Unix and Windows modes),
//! wordsTest, ProcessWordWithMatches, and the misc tables.

mod common;

use std::collections::{BTreeSet, HashMap};

use common::{conformance, json};
use skiff_frontend::{EnvList, ShellLex};

fn env_var_lines() -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(conformance().join("buildkit-shell/envVarTest")).unwrap();
    let mut out = Vec::new();
    for raw in text.split('\n') {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if raw.starts_with('#') {
            continue;
        }
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('|').collect();
        assert_eq!(f.len(), 3, "bad line {line:?}");
        out.push((
            f[0].trim().to_string(),
            f[1].trim().to_string(),
            f[2].trim().to_string(),
        ));
    }
    out
}

fn run_env_var_test(windows: bool) -> usize {
    let lex = ShellLex::new('\\');
    let base = ["PWD=/home", "SHELL=bash", "KOREAN=한국어", "NULL="];
    let env = if windows {
        let mut e = EnvList::windows();
        for kv in base {
            let (k, v) = kv.split_once('=').unwrap();
            e.set(k, v);
        }
        e
    } else {
        EnvList::from_slice(&base)
    };
    let mode = if windows { "W" } else { "U" };
    let mut ran = 0;
    let mut failures = Vec::new();
    for (platform, source, expected) in env_var_lines() {
        assert!(matches!(platform.as_str(), "A" | "U" | "W"));
        if platform != "A" && platform != mode {
            continue;
        }
        ran += 1;
        let got = lex.process_word(&source, &env);
        match (expected.as_str(), got) {
            ("error", Err(_)) => {}
            ("error", Ok(v)) => failures.push(format!("{source:?}: want error, got {v:?}")),
            (want, Ok(v)) if v == want => {}
            (want, got) => failures.push(format!("{source:?}: want {want:?}, got {got:?}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    ran
}

#[test]
fn env_var_test_unix_mode() {
    assert_eq!(run_env_var_test(false), 228);
}

#[test]
fn env_var_test_windows_mode() {
    assert_eq!(run_env_var_test(true), 228);
}

#[test]
fn words_test() {
    let text = std::fs::read_to_string(conformance().join("buildkit-shell/wordsTest")).unwrap();
    let lex = ShellLex::new('\\');
    let mut envs: Vec<String> = Vec::new();
    let mut ran = 0;
    let mut failures = Vec::new();
    for line in text.split('\n') {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix("ENV ") {
            envs.push(rest.trim_start_matches(' ').to_string());
            continue;
        }
        let (left, right) = line.split_once('|').expect("one |");
        let test = left.trim();
        let expected: Vec<String> = right
            .trim_start_matches(' ')
            .split(',')
            .map(str::to_string)
            .collect();
        let got = lex
            .process_words(test, &EnvList::from_slice(&envs))
            .unwrap_or_else(|_| vec!["error".to_string()]);
        ran += 1;
        if got != expected {
            failures.push(format!("{test:?}: want {expected:?}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(ran, 24);
}

fn names(v: &serde_json::Value) -> BTreeSet<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn process_word_with_matches() {
    let t = json(conformance().join("buildkit-shell/extracted/process-with-matches.json"));
    let lex = ShellLex::new('\\');
    let cases = t["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 47);
    for case in cases {
        let input = case["input"].as_str().unwrap();
        let env: HashMap<String, String> = serde_json::from_value(case["envs"].clone()).unwrap();
        let r = lex.process_word_with_matches(input, &env);
        if case["expectedErr"].as_bool() == Some(true) {
            assert!(r.is_err(), "{input}: want error, got {r:?}");
            continue;
        }
        let r = r.unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(r.result, case["expected"].as_str().unwrap(), "{input}");
        assert_eq!(r.matched, names(&case["matches"]), "{input} matches");
        assert_eq!(r.unmatched, names(&case["unmatched"]), "{input} unmatched");
    }
}

#[test]
fn lex_misc() {
    let t = json(conformance().join("buildkit-shell/extracted/lex-misc.json"));
    let lex = ShellLex::new('\\');
    let m = &t["MandatoryEnvVars"];
    for case in m["cases"].as_array().unwrap() {
        let set: Vec<String> =
            serde_json::from_value(m["envsets"][case["env"].as_str().unwrap()].clone()).unwrap();
        let input = case["input"].as_str().unwrap();
        let r = lex.process_word(input, &EnvList::from_slice(&set));
        match case["expected"].as_str() {
            Some(want) => assert_eq!(r.as_deref(), Ok(want), "{case}"),
            None => {
                let e = r.unwrap_err();
                assert!(
                    e.message
                        .contains(case["expectedErrContains"].as_str().unwrap()),
                    "{case}: {e}"
                );
            }
        }
    }
    for case in t["ProcessWithMatchesPlatform"]["cases"].as_array().unwrap() {
        let env: HashMap<String, String> = serde_json::from_value(case["envs"].clone()).unwrap();
        let r = lex
            .process_word_with_matches(case["input"].as_str().unwrap(), &env)
            .unwrap();
        assert_eq!(r.result, case["expected"].as_str().unwrap());
    }
    for case in t["GetEnv"]["cases"].as_array().unwrap() {
        let env: Vec<String> = serde_json::from_value(case["env"].clone()).unwrap();
        let name = case["name"].as_str().unwrap();
        let got = lex
            .process_word(&format!("${name}"), &EnvList::from_slice(&env))
            .unwrap();
        assert_eq!(got, case["expected"].as_str().unwrap(), "{case}");
    }
}
