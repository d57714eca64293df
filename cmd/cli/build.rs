//! Embeds what `skiff version` reports and cargo does not provide at compile
//! time: the git commit, the Rust target triple, rustc's version, the build
//! date and the enabled cargo features. Everything can be overridden from the
//! environment so a build from a source tarball (no .git) stays informative
//! and reproducible (SOURCE_DATE_EPOCH).

use std::path::Path;
use std::process::Command;

fn main() {
    let target = std::env::var("TARGET").unwrap_or_default();
    println!("cargo:rustc-env=SKIFF_BUILD_TARGET={target}");

    let commit = std::env::var("SKIFF_GIT_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]))
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=SKIFF_GIT_COMMIT={commit}");

    // The commit's date, not the wall clock, so rebuilding a commit gives
    // the same bytes.
    let built = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .or_else(|| git(&["log", "-1", "--format=%ct", "HEAD"]))
        .and_then(|e| e.trim().parse::<i64>().ok())
        .map(rfc3339_utc)
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=SKIFF_BUILD_TIME={built}");

    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let rustc_version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    println!("cargo:rustc-env=SKIFF_RUSTC_VERSION={rustc_version}");

    let mut features: Vec<String> = std::env::vars()
        .filter_map(|(k, _)| {
            k.strip_prefix("CARGO_FEATURE_")
                .map(|f| f.to_lowercase().replace('_', "-"))
        })
        .collect();
    features.sort();
    println!(
        "cargo:rustc-env=SKIFF_BUILD_FEATURES={}",
        features.join(",")
    );

    // Rebuild when HEAD moves (checkout or commit), not on every file edit.
    // The paths are asked of git (relative to this directory, as cargo
    // reads them): in a git worktree `.git` is a file and HEAD lives in the
    // main repository's `worktrees/<name>/`, so a fixed `../../.git` path
    // watched nothing there and `skiff version` kept an old commit.
    let mut watched = vec![git(&["rev-parse", "--git-path", "HEAD"])];
    if let Some(reference) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.push(git(&["rev-parse", "--git-path", &reference]));
    }
    watched.push(git(&["rev-parse", "--git-path", "packed-refs"]));
    // A missing path would make cargo rerun this script every build.
    for path in watched.into_iter().flatten() {
        if Path::new(&path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    for var in ["SKIFF_GIT_COMMIT", "SOURCE_DATE_EPOCH"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
}

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!s.is_empty()).then_some(s)
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ`. Hand-written (Howard
/// Hinnant's days-to-civil) because a build script dependency on chrono for
/// one line would slow every build.
fn rfc3339_utc(epoch: i64) -> String {
    let (days, secs) = (epoch.div_euclid(86_400), epoch.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}
