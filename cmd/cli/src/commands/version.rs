//! `skiff version` (also `skiff --version` / `-v`): docker's client section,
//! with what a static multi-arch binary adds: the Rust target triple, whether
//! it is statically linked and the cargo features it was built with.
//! There is no daemon: the engine is this binary, so the Server section
//! (in `--format` only, as podman does) describes skiff itself. Tools
//! detect docker with `{{.Server.Version}}` and pick paths by
//! `{{.Server.Os}}`; a missing Server would read as "daemon down".

use clap::Args as ClapArgs;
use serde::Serialize;

use crate::format::{emit, Template};
use crate::globals::Globals;

/// docker 27's Engine API version.
const API_VERSION: &str = "1.47";

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Format the output using the given Go template
    /// (`{{.Client.Version}}`, `{{.Server.Version}}`, `{{json .}}`, `{{json .Client}}`)
    #[arg(short = 'f', long, value_name = "FORMAT")]
    pub format: Option<String>,
}

/// Field names follow `docker version --format '{{json .}}'` where docker has
/// the same fact (Version, GitCommit, BuildTime, Os, Arch).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Client {
    version: &'static str,
    /// The docker Engine API version skiff's commands follow (docker 27's),
    /// which tools read as `{{.Client.APIVersion}}`.
    #[serde(rename = "ApiVersion")]
    api_version: &'static str,
    git_commit: &'static str,
    build_time: &'static str,
    rust_version: &'static str,
    os: &'static str,
    arch: &'static str,
    #[serde(skip_serializing_if = "str::is_empty")]
    variant: &'static str,
    target: &'static str,
    #[serde(rename = "Static")]
    statically_linked: bool,
    features: Vec<&'static str>,
}

/// docker's Server section, for the engine skiff runs in-process.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Server {
    platform: Named,
    components: Vec<Component>,
    version: &'static str,
    #[serde(rename = "ApiVersion")]
    api_version: &'static str,
    #[serde(rename = "MinAPIVersion")]
    min_api_version: &'static str,
    git_commit: &'static str,
    build_time: &'static str,
    os: &'static str,
    arch: &'static str,
    kernel_version: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Named {
    name: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Component {
    name: &'static str,
    version: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Info {
    client: Client,
    server: Server,
}

impl Info {
    fn current() -> Info {
        let client = Client::current();
        let server = Server {
            platform: Named { name: "skiff" },
            components: vec![Component {
                name: "Engine",
                version: client.version,
            }],
            version: client.version,
            api_version: API_VERSION,
            min_api_version: "1.24",
            git_commit: client.git_commit,
            build_time: client.build_time,
            os: client.os,
            arch: client.arch,
            kernel_version: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|s| s.trim().to_string())
                .unwrap_or_default(),
        };
        Info { client, server }
    }
}

impl Client {
    fn current() -> Client {
        let features = env!("SKIFF_BUILD_FEATURES");
        Client {
            version: env!("CARGO_PKG_VERSION"),
            api_version: API_VERSION,
            git_commit: env!("SKIFF_GIT_COMMIT"),
            build_time: env!("SKIFF_BUILD_TIME"),
            rust_version: env!("SKIFF_RUSTC_VERSION"),
            os: std::env::consts::OS,
            arch: oci_arch(),
            variant: oci_variant(),
            target: env!("SKIFF_BUILD_TARGET"),
            statically_linked: cfg!(target_feature = "crt-static"),
            features: features.split(',').filter(|f| !f.is_empty()).collect(),
        }
    }
}

/// The OCI/Go name of the architecture this binary was compiled for.
fn oci_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    }
}

/// The OCI variant of 32-bit ARM builds (v7 for armv7 targets, v6 below).
fn oci_variant() -> &'static str {
    if !cfg!(target_arch = "arm") {
        return "";
    }
    let target = env!("SKIFF_BUILD_TARGET");
    if target.starts_with("armv7") {
        "v7"
    } else {
        "v6"
    }
}

pub fn run(_g: &Globals, a: Args) -> anyhow::Result<i32> {
    let info = Info::current();
    match a.format {
        Some(template) => say!("{}", render(&template, &info)?),
        None => emit(&human(&info.client)),
    }
    Ok(0)
}

fn human(c: &Client) -> String {
    let platform = if c.variant.is_empty() {
        format!("{}/{}", c.os, c.arch)
    } else {
        format!("{}/{}/{}", c.os, c.arch, c.variant)
    };
    let features = if c.features.is_empty() {
        "(none)".to_string()
    } else {
        c.features.join(", ")
    };
    let rows = [
        ("Version", c.version.to_string()),
        ("Git commit", c.git_commit.to_string()),
        ("Built", c.build_time.to_string()),
        ("Rust version", c.rust_version.to_string()),
        ("OS/Arch", platform),
        ("Target", c.target.to_string()),
        ("Static", c.statically_linked.to_string()),
        ("Features", features),
    ];
    let mut out = String::from("Client: skiff\n");
    for (k, v) in rows {
        out.push_str(&format!(" {:<19}{v}\n", format!("{k}:")));
    }
    out
}

/// `--format`: the shared Go-template engine over docker's field names.
fn render(template: &str, info: &Info) -> anyhow::Result<String> {
    Ok(Template::parse(template)?.render(&serde_json::to_value(info)?)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> Info {
        Info::current()
    }

    #[test]
    fn server_fields_tools_detect_docker_with() {
        let v = env!("CARGO_PKG_VERSION");
        assert_eq!(render("{{.Server.Version}}", &info()).unwrap(), v);
        assert_eq!(render("{{.Client.Version}}", &info()).unwrap(), v);
        assert_eq!(render("{{.Server.Os}}", &info()).unwrap(), "linux");
        let server: serde_json::Value =
            serde_json::from_str(&render("{{json .Server}}", &info()).unwrap()).unwrap();
        assert_eq!(server["Components"][0]["Name"], "Engine");
        assert_eq!(server["Platform"]["Name"], "skiff");
    }

    #[test]
    fn field_and_literal_text() {
        let out = render("v={{.Client.Version}} os={{ .Client.Os }}", &info()).unwrap();
        assert_eq!(out, format!("v={} os=linux", env!("CARGO_PKG_VERSION")));
    }

    #[test]
    fn json_whole_and_client() {
        let whole: serde_json::Value =
            serde_json::from_str(&render("{{json .}}", &info()).unwrap()).unwrap();
        assert_eq!(whole["Client"]["Target"], env!("SKIFF_BUILD_TARGET"));
        let client: serde_json::Value =
            serde_json::from_str(&render("{{json .Client}}", &info()).unwrap()).unwrap();
        assert_eq!(client["Version"], env!("CARGO_PKG_VERSION"));
    }

    #[test]
    fn unknown_field_and_action_are_errors() {
        let err = render("{{.Client.Nope}}", &info()).unwrap_err().to_string();
        assert!(err.contains("Nope"), "{err}");
        assert!(render("{{range .}}", &info()).is_err());
        assert!(render("{{.Client.Version", &info()).is_err());
    }

    #[test]
    fn human_names_the_target() {
        let text = human(&Client::current());
        assert!(text.starts_with("Client: skiff\n"));
        assert!(text.contains(env!("SKIFF_BUILD_TARGET")));
        assert!(text.contains(" Git commit:"));
    }
}
