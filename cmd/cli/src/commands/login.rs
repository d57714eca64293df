//! `skiff login`: check credentials against a registry, then store them in
//! docker's config.json (or its credential helper), mode 0600.

use clap::Args as ClapArgs;
use skiff_registry::Registry;

use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Registry to log in to (default: Docker Hub)
    #[arg(value_name = "SERVER")]
    pub server: Option<String>,

    /// Username
    #[arg(short, long)]
    pub username: Option<String>,

    /// Password
    #[arg(short, long)]
    pub password: Option<String>,

    /// Take the password from stdin
    #[arg(long)]
    pub password_stdin: bool,

    #[command(flatten)]
    pub registry: super::transfer::RegistryArgs,
}

/// `https://host:5000/v2/` → `host:5000`; nothing → Docker Hub.
pub fn server_host(server: Option<&str>) -> String {
    let s = server.unwrap_or("docker.io").trim();
    let s = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(s);
    let s = s.split('/').next().unwrap_or(s);
    match s {
        "" | "index.docker.io" | "registry-1.docker.io" => "docker.io".into(),
        other => other.to_string(),
    }
}

pub fn run(_g: &Globals, a: Args) -> anyhow::Result<i32> {
    run_args(_g, a).map_err(crate::exit::exits_one)
}

fn run_args(_g: &Globals, a: Args) -> anyhow::Result<i32> {
    let host = server_host(a.server.as_deref());
    if a.password.is_some() && a.password_stdin {
        anyhow::bail!("--password and --password-stdin are mutually exclusive");
    }
    if a.password_stdin && a.username.is_none() {
        anyhow::bail!("Must provide --username with --password-stdin");
    }
    let stdin = std::io::stdin();
    let user = match a.username.clone() {
        Some(u) => u,
        None => super::prompt::read_line("Username: ")?,
    };
    if user.is_empty() {
        // report() adds the "Error: " docker's message starts with.
        anyhow::bail!("Non-null Username Required");
    }
    let password = if let Some(p) = a.password.clone() {
        crate::exit::warn(
            "WARNING! Using --password via the CLI is insecure. Use --password-stdin.",
        );
        p
    } else if a.password_stdin {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stdin.lock(), &mut s)?;
        s.trim_end_matches(['\n', '\r']).to_string()
    } else {
        super::prompt::read_password("Password: ")?
    };
    if password.is_empty() {
        anyhow::bail!("Error: Password Required");
    }

    let opts = a.registry.options()?;
    let reference = skiff_registry::parse_reference(&format!("{host}/skiff/login"))?;
    let auth = skiff_registry::oci_auth_basic(&user, &password);
    let reg = Registry::connect_with(&reference, &opts, auth)?;
    let rt = skiff_registry::runtime()?;
    rt.block_on(skiff_registry::login::verify(&reg, &user, &password))?;
    skiff_registry::dockerconfig::store(&host, &user, &password)?;
    say!("Login Succeeded");
    Ok(0)
}
