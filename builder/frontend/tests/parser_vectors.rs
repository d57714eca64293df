//! BuildKit parser vectors: AST dumps, negative cases, line numbers,
//! heredocs, parseWords, JSON arrays, empty continuation warnings.

mod common;

use common::{conformance, json, sorted_dirs};
use skiff_frontend::parser::{self, JsonErr};

#[test]
fn positive_dumps_match_byte_for_byte() {
    let dirs = sorted_dirs(&conformance().join("buildkit-parser/testfiles"));
    assert_eq!(dirs.len(), 33);
    let mut failed = Vec::new();
    for d in &dirs {
        let input = std::fs::read(d.join("Dockerfile")).unwrap();
        let expected = String::from_utf8(std::fs::read(d.join("result")).unwrap()).unwrap();
        match skiff_frontend::parse(&input) {
            Ok(ast) if ast.dump() == expected => {}
            Ok(ast) => failed.push(format!(
                "{}:\n--- got\n{}--- want\n{}",
                d.display(),
                ast.dump(),
                expected
            )),
            Err(e) => failed.push(format!("{}: error {e}", d.display())),
        }
    }
    assert!(
        failed.is_empty(),
        "{} of 33 failed:\n{}",
        failed.len(),
        failed.join("\n")
    );
}

#[test]
fn negative_cases_fail() {
    let dirs = sorted_dirs(&conformance().join("buildkit-parser/testfiles-negative"));
    assert_eq!(dirs.len(), 4);
    for d in &dirs {
        let input = std::fs::read(d.join("Dockerfile")).unwrap();
        assert!(
            skiff_frontend::parse(&input).is_err(),
            "{} parsed",
            d.display()
        );
    }
}

#[test]
fn line_numbers() {
    let c = conformance().join("buildkit-parser");
    let exp = json(c.join("extracted/line-numbers.expected.json"));
    let ast =
        skiff_frontend::parse(&std::fs::read(c.join("testfile-line/Dockerfile")).unwrap()).unwrap();
    assert_eq!(
        ast.lines.start as u64,
        exp["root"]["StartLine"].as_u64().unwrap()
    );
    assert_eq!(
        ast.lines.end as u64,
        exp["root"]["EndLine"].as_u64().unwrap()
    );
    let got: Vec<[u64; 2]> = ast
        .children
        .iter()
        .map(|n| [n.lines.start as u64, n.lines.end as u64])
        .collect();
    let want: Vec<[u64; 2]> = serde_json::from_value(exp["children"].clone()).unwrap();
    assert_eq!(got, want);
}

#[test]
fn heredocs_extracted() {
    let c = conformance().join("buildkit-parser/extracted");
    let exp = json(c.join("heredoc-extract.expected.json"));
    let ast = skiff_frontend::parse(&std::fs::read(c.join("heredoc-extract.Dockerfile")).unwrap())
        .unwrap();
    let cases = exp["expected"].as_array().unwrap();
    assert_eq!(cases.len(), 27);
    for case in cases {
        let i = case["child_index"].as_u64().unwrap() as usize;
        let got = &ast.children[i].heredocs;
        let want: Vec<(String, u64, bool, bool, String)> = case["heredocs"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|h| {
                        (
                            h["Name"].as_str().unwrap().to_string(),
                            h["FileDescriptor"].as_u64().unwrap(),
                            h["Expand"].as_bool().unwrap(),
                            h["Chomp"].as_bool().unwrap(),
                            h["Content"].as_str().unwrap().to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let got: Vec<_> = got
            .iter()
            .map(|h| {
                (
                    h.name.clone(),
                    h.file_descriptor,
                    h.expand,
                    h.chomp,
                    h.content.clone(),
                )
            })
            .collect();
        assert_eq!(got, want, "child {i}: {}", ast.children[i].original);
    }
    // The README's derived dump of the same file.
    assert!(ast
        .dump()
        .starts_with("(from \"alpine:3.6\")\n(env \"NAME\" \"me\" \"=\")\n"));
}

#[test]
fn heredoc_helpers() {
    let c = conformance().join("buildkit-parser/extracted");
    let h = json(c.join("heredoc-helpers.json"));
    let json_df = std::fs::read(c.join("heredoc-json.Dockerfile")).unwrap();
    let ast = skiff_frontend::parse(&json_df).unwrap();
    for i in 1..=3 {
        assert!(
            ast.children[i].heredocs.is_empty(),
            "JSON RUN {i} has heredocs"
        );
    }
    for v in h["ParseHeredoc"]["valid"].as_array().unwrap() {
        let doc = parser::parse_heredoc(v.as_str().unwrap()).unwrap();
        assert_eq!(doc.map(|d| d.name).as_deref(), Some("EOF"), "{v}");
    }
    for v in h["ParseHeredoc"]["invalid"].as_array().unwrap() {
        assert!(parser::parse_heredoc(v.as_str().unwrap()).is_err(), "{v}");
    }
    for v in h["ParseHeredoc"]["not_heredoc"].as_array().unwrap() {
        assert_eq!(
            parser::parse_heredoc(v.as_str().unwrap()).unwrap(),
            None,
            "{v}"
        );
    }
    for case in h["HeredocsFromLine"]["cases"].as_array().unwrap() {
        let docs = parser::heredocs_from_line(case["line"].as_str().unwrap()).unwrap();
        let names: Vec<&str> = case["heredocNames"]
            .as_array()
            .map(|a| a.iter().map(|n| n.as_str().unwrap()).collect())
            .unwrap_or_default();
        for (d, n) in docs.iter().zip(&names) {
            assert_eq!(&d.name, n, "{case}");
        }
    }
    let chomp = &h["ChompHeredocContent"];
    let (i, o) = (
        chomp["input"].as_str().unwrap(),
        chomp["expected"].as_str().unwrap(),
    );
    assert_eq!(parser::chomp_heredoc_content(i), o);
}

#[test]
fn parse_words_and_json_arrays() {
    let c = conformance().join("buildkit-parser/extracted");
    let pw = json(c.join("parse-words.json"));
    for case in pw["cases"].as_array().unwrap() {
        let want: Vec<String> = serde_json::from_value(case["expect"].clone()).unwrap();
        assert_eq!(
            parser::parse_words(case["input"].as_str().unwrap(), '\\'),
            want,
            "{case}"
        );
    }
    let ja = json(c.join("json-arrays.json"));
    for case in ja["valid"].as_array().unwrap() {
        let want: Vec<String> = serde_json::from_value(case["expected"].clone()).unwrap();
        assert_eq!(
            parser::parse_json(case["input"].as_str().unwrap()),
            Ok(want),
            "{case}"
        );
    }
    for case in ja["invalid_not_string_array"].as_array().unwrap() {
        let input = case.as_str().or_else(|| case["input"].as_str()).unwrap();
        assert_eq!(
            parser::parse_json(input),
            Err(JsonErr::NotStrings),
            "{case}"
        );
    }
}

#[test]
fn empty_continuation_warnings() {
    let c = conformance().join("buildkit-parser/extracted");
    let exp = json(c.join("empty-continuation.expected.json"));
    let ast =
        skiff_frontend::parse(&std::fs::read(c.join("empty-continuation.Dockerfile")).unwrap())
            .unwrap();
    assert_eq!(
        ast.warnings.len() as u64,
        exp["warning_count"].as_u64().unwrap()
    );
    for s in exp["warning_0_contains"].as_array().unwrap() {
        assert!(
            ast.warnings[0].short.contains(s.as_str().unwrap()),
            "{:?}",
            ast.warnings[0]
        );
    }
    for s in exp["warning_1_contains"].as_array().unwrap() {
        assert!(
            ast.warnings[1].short.contains(s.as_str().unwrap()),
            "{:?}",
            ast.warnings[1]
        );
    }
    assert!(ast.warnings[0]
        .detail
        .contains(exp["detail_contains"].as_str().unwrap()));
}

#[test]
fn long_line_is_an_error() {
    let df = format!("\n\t\tFROM image\n\t\tLABEL test={}\n", "a".repeat(65536));
    let e = skiff_frontend::parse(df.as_bytes()).unwrap_err();
    assert_eq!(
        e.message,
        "dockerfile line greater than max allowed size of 65535"
    );
}
