//! `skiff logout`: forget a registry's credentials in docker's config.json
//! (or its credential helper).

use clap::Args as ClapArgs;

use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Registry to log out from (default: Docker Hub)
    #[arg(value_name = "SERVER")]
    pub server: Option<String>,
}

pub fn run(_g: &Globals, a: Args) -> anyhow::Result<i32> {
    run_args(_g, a).map_err(crate::exit::exits_one)
}

fn run_args(_g: &Globals, a: Args) -> anyhow::Result<i32> {
    let host = super::login::server_host(a.server.as_deref());
    let key = skiff_registry::auth::config_key(&host);
    if skiff_registry::dockerconfig::erase(&host)? {
        say!("Removing login credentials for {key}");
    } else {
        say!("Not logged in to {key}");
    }
    Ok(0)
}
