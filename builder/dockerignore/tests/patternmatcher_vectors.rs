//! moby/patternmatcher vectors from ../shared/conformance/dockerignore.

use std::path::PathBuf;

use skiff_dockerignore::{read_ignore_file, MatchInfo, MatchType, PatternMatcher};

fn data() -> PathBuf {
    let p =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/dockerignore");
    assert!(p.is_dir(), "conformance data not found at {}", p.display());
    p
}

/// Rows of a TSV file as maps from header to field. The table must hold
/// `count` rows: a truncated table must not pass by testing less.
fn rows(name: &str, count: usize) -> Vec<std::collections::HashMap<String, String>> {
    let text = std::fs::read_to_string(data().join(name)).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let rows = lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            header
                .iter()
                .enumerate()
                .map(|(i, h)| (h.to_string(), f.get(i).unwrap_or(&"").to_string()))
                .collect()
        })
        .collect::<Vec<_>>();
    assert_eq!(rows.len(), count, "{name}");
    rows
}

/// Walk the path's ancestors the way a tree walker would, feeding each
/// level's result to the next (the deprecated bool API and the MatchInfo API).
fn walk(pm: &PatternMatcher, path: &str) -> (bool, bool) {
    let parts: Vec<&str> = path.split('/').collect();
    let mut parent_bool = false;
    let mut info = MatchInfo::default();
    let (mut b, mut r) = (false, false);
    for i in 0..parts.len() {
        let prefix = parts[..=i].join("/");
        b = pm
            .matches_using_parent_result(&prefix, parent_bool)
            .unwrap();
        let (m, next) = pm.matches_using_parent_results(&prefix, &info).unwrap();
        r = m;
        parent_bool = b;
        info = next;
    }
    (b, r)
}

fn expect(v: &str) -> Option<bool> {
    match v {
        "true" => Some(true),
        "false" => Some(false),
        "error" => None,
        other => panic!("bad expected {other}"),
    }
}

fn check_row(patterns: &[String], path: &str, expected: &str, api: &str, id: &str) {
    let want = expect(expected);
    if api.starts_with("Matches(file") {
        let p: Vec<&str> = patterns.iter().map(String::as_str).collect();
        let got = skiff_dockerignore::matches(path, &p);
        match want {
            None => assert!(got.is_err(), "{id}: want error, got {got:?}"),
            Some(w) => assert_eq!(got, Ok(w), "{id}"),
        }
        return;
    }
    if api.starts_with("New(patterns) then") {
        let pm = PatternMatcher::new(patterns).expect("New succeeds");
        for _ in 0..2 {
            assert!(pm.matches_or_parent_matches(path).is_err(), "{id}");
        }
        return;
    }
    let want = want.unwrap_or_else(|| panic!("{id}: unexpected error row"));
    let pm = PatternMatcher::new(patterns).unwrap_or_else(|e| panic!("{id}: {e}"));
    assert_eq!(
        pm.matches_or_parent_matches(path).unwrap(),
        want,
        "{id} MatchesOrParentMatches"
    );
    let (b, r) = walk(&pm, path);
    if api.contains("MatchesUsingParentResult,") {
        assert_eq!(b, want, "{id} MatchesUsingParentResult");
    }
    assert_eq!(r, want, "{id} MatchesUsingParentResults");
    let (m, _) = pm
        .matches_using_parent_results(path, &MatchInfo::default())
        .unwrap();
    assert_eq!(m, want, "{id} MatchesUsingParentResults(empty)");
}

#[test]
fn single_pattern_rows() {
    let rows = rows("patterns.tsv", 128);
    for r in &rows {
        check_row(
            &[r["pattern"].clone()],
            &r["path"],
            &r["expected"],
            &r["api"],
            &r["id"],
        );
    }
}

/// A row's `patterns_json` column: the patterns as a JSON array.
fn json_patterns(row: &std::collections::HashMap<String, String>) -> Vec<String> {
    serde_json::from_str(&row["patterns_json"]).unwrap()
}

#[test]
fn multi_pattern_rows() {
    let rows = rows("patterns-multi.tsv", 10);
    for r in &rows {
        let patterns = json_patterns(r);
        check_row(&patterns, &r["path"], &r["expected"], &r["api"], &r["id"]);
    }
}

#[test]
fn compile_types_and_regexps() {
    let rows = rows("compile.tsv", 21);
    for r in &rows {
        let pm = PatternMatcher::new(&[r["pattern"].as_str()]).unwrap();
        let p = &pm.patterns()[0];
        let want = match r["match_type"].as_str() {
            "exactMatch" => MatchType::Exact,
            "prefixMatch" => MatchType::Prefix,
            "suffixMatch" => MatchType::Suffix,
            "regexpMatch" => MatchType::Regexp,
            other => panic!("{other}"),
        };
        assert_eq!(p.match_type().unwrap(), want, "{}", r["pattern"]);
        let re = p.regex_source().unwrap().unwrap_or("");
        assert_eq!(re, r["regexp_slash"], "{}", r["pattern"]);
    }
}

#[test]
fn new_cleaning_and_validation() {
    let rows = rows("new.tsv", 7);
    for r in &rows {
        let patterns = json_patterns(r);
        let pm = PatternMatcher::new(&patterns);
        if r["new_result"] == "error" {
            assert!(pm.is_err(), "{}", r["source_test"]);
            continue;
        }
        let pm = pm.unwrap_or_else(|e| panic!("{}: {e}", r["source_test"]));
        if !r["len_Patterns"].is_empty() {
            assert_eq!(pm.patterns().len().to_string(), r["len_Patterns"]);
        }
        if !r["Exclusions"].is_empty() {
            assert_eq!(pm.exclusions().to_string(), r["Exclusions"]);
        }
    }
}

#[test]
fn read_all() {
    let input = std::fs::read(data().join("ignorefile/readall.dockerignore")).unwrap();
    let expected = std::fs::read_to_string(data().join("ignorefile/readall.expected")).unwrap();
    let want: Vec<&str> = expected.lines().collect();
    assert_eq!(read_ignore_file(&input), want);
}
