//! `skiff port CONTAINER [PRIVATE_PORT[/PROTO]]`: the container's published
//! ports, docker's output.

use anyhow::anyhow;
use clap::Args as ClapArgs;
use skiff_runtime::network as net;
use skiff_runtime::Layout;

use crate::globals::Globals;

#[derive(Debug, ClapArgs)]
pub struct Args {
    pub container: String,
    /// PRIVATE_PORT[/PROTO]
    pub port: Option<String>,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let root = g.absolute_root()?;
    let layout = Layout::new(&root);
    let id = skiff_runtime::state::resolve(&layout, &a.container)?;
    let ctx = net::NetContext::new(&root)?;
    let mut ports = net::endpoint(&ctx, &id)?
        .map(|e| e.ports)
        .unwrap_or_default();
    ports.sort_by_key(|p| (p.container_port, p.proto, p.host_port));
    match a.port {
        None => {
            for p in &ports {
                say!(
                    "{}/{} -> {}",
                    p.container_port,
                    p.proto.as_str(),
                    p.host_display()
                );
            }
        }
        Some(spec) => {
            let (num, proto) = match spec.split_once('/') {
                Some((n, p)) => (n, p),
                None => (spec.as_str(), "tcp"),
            };
            let num: u16 = num
                .parse()
                .map_err(|_| anyhow!("invalid port {spec:?}: want PRIVATE_PORT[/PROTO]"))?;
            let hits: Vec<_> = ports
                .iter()
                .filter(|p| p.container_port == num && p.proto.as_str() == proto)
                .collect();
            if hits.is_empty() {
                return Err(anyhow!(
                    "No public port '{num}/{proto}' published for {}",
                    a.container
                ));
            }
            for p in hits {
                say!("{}", p.host_display());
            }
        }
    }
    Ok(0)
}
