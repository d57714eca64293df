//! `skiff build --check`: parse and validate a Dockerfile without building,
//! reporting problems with `file:line` as `docker build --check` does.
//! Errors exit 1 (like docker); warnings alone exit 0.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context;
use skiff_frontend::{PlanOptions, Platform, Warning};

use crate::globals::Globals;

/// Where the Dockerfile comes from and how to name it in messages.
fn dockerfile_source(a: &super::build::Args) -> (Option<PathBuf>, String) {
    match &a.file {
        Some(f) if f.as_os_str() == "-" => (None, "Dockerfile".into()),
        Some(f) => {
            let path = if f.is_absolute() || Path::new(&a.context).join(f).exists() && !f.exists() {
                Path::new(&a.context).join(f)
            } else {
                f.clone()
            };
            let shown = f.display().to_string();
            (Some(path), shown)
        }
        None if a.context == "-" => (None, "Dockerfile".into()),
        None => {
            let p = Path::new(&a.context).join("Dockerfile");
            (Some(p), "Dockerfile".into())
        }
    }
}

/// `file:line: error: message`.
fn render_error(file: &str, e: &skiff_frontend::Error) -> String {
    match e.location {
        Some(l) => format!("{file}:{}: error: {}", l.start, e.message),
        None => format!("{file}: error: {}", e.message),
    }
}

fn print_warning(file: &str, w: &Warning) {
    let loc = match w.location {
        Some(l) => format!("{file}:{}", l.start),
        None => file.to_string(),
    };
    if w.url.is_empty() {
        say!("{loc}: warning: {}: {}", w.rule, w.message);
    } else {
        say!("{loc}: warning: {}: {} ({})", w.rule, w.message, w.url);
    }
}

pub fn run(_g: &Globals, a: &super::build::Args) -> anyhow::Result<i32> {
    let (path, shown) = dockerfile_source(a);
    let bytes = match &path {
        Some(p) => std::fs::read(p)
            .with_context(|| format!("failed to read Dockerfile {}", p.display()))?,
        None => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .context("reading the Dockerfile from stdin")?;
            buf
        }
    };

    let target_platform = match a
        .platform
        .iter()
        .flat_map(|p| p.split(','))
        .find(|p| !p.is_empty())
    {
        Some(p) => {
            Some(Platform::parse(p).map_err(|e| crate::exit::Failure::new(125, e.to_string()))?)
        }
        None => None,
    };
    let opts = PlanOptions {
        build_args: super::build::kv_args(&a.build_args, true),
        target: a.target.clone(),
        target_platform,
        build_platform: Platform::host(),
    };

    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    match skiff_frontend::parse(&bytes) {
        Err(e) => errors.push(render_error(&shown, &e)),
        Ok(ast) => match skiff_frontend::plan(&ast, &opts) {
            Err(e) => {
                warnings.extend(ast.warnings.iter().map(|w| Warning {
                    rule: "NoEmptyContinuation".into(),
                    message: w.short.clone(),
                    url: w.url.clone(),
                    location: Some(w.location),
                }));
                errors.push(render_error(&shown, &e));
            }
            Ok(plan) => warnings = plan.warnings,
        },
    }

    // The ignore file must be readable and its patterns valid.
    if let Some(df) = &path {
        if a.context != "-" {
            if let Some(ignore) = skiff_dockerignore::ignore_file_for(Path::new(&a.context), df) {
                match std::fs::read(&ignore) {
                    Ok(content) => {
                        let patterns = skiff_dockerignore::read_ignore_file(&content);
                        if let Err(e) = skiff_dockerignore::PatternMatcher::new(&patterns) {
                            errors.push(format!("{}: error: {e}", ignore.display()));
                        }
                    }
                    Err(e) => errors.push(format!("{}: {e}", ignore.display())),
                }
            }
        }
    }

    for w in &warnings {
        print_warning(&shown, w);
    }
    for e in &errors {
        say!("{e}");
    }
    let n = warnings.len();
    let noun = if n == 1 {
        "warning has"
    } else {
        "warnings have"
    };
    if !errors.is_empty() {
        let m = errors.len();
        say!(
            "Check complete, {m} {} and {n} {noun} been found!",
            if m == 1 { "error" } else { "errors" }
        );
        return Ok(1);
    }
    if n == 0 {
        say!("Check complete, no warnings found.");
    } else {
        say!("Check complete, {n} {noun} been found!");
    }
    Ok(0)
}
