//! `skiff network create|ls|inspect|rm|connect|disconnect|prune`: user
//! bridge networks (skiff-network), docker's flags and output.

use anyhow::anyhow;
use clap::{Args as ClapArgs, Subcommand};
use serde_json::{json, Value};
use skiff_runtime::network as net;

use super::each::each_named;
use super::object_args::{InspectArgs, ListArgs};
use crate::exit::Batch;
use crate::format::{print_list, Columns};
use crate::globals::Globals;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a network
    Create(CreateArgs),
    /// List networks
    #[command(visible_alias = "list")]
    Ls(LsArgs),
    /// Display detailed information on one or more networks
    Inspect(InspectArgs),
    /// Remove one or more networks
    #[command(visible_alias = "remove")]
    Rm(RmArgs),
    /// Connect a container to a network
    Connect(ConnectArgs),
    /// Disconnect a container from a network
    Disconnect(DisconnectArgs),
    /// Remove all unused networks
    Prune(PruneArgs),
}

#[derive(Debug, ClapArgs)]
pub struct CreateArgs {
    /// Driver to manage the Network (only "bridge")
    #[arg(short = 'd', long, default_value = "bridge")]
    pub driver: String,
    /// Subnet in CIDR format that represents a network segment
    #[arg(long)]
    pub subnet: Option<String>,
    /// IPv4 Gateway for the master subnet
    #[arg(long)]
    pub gateway: Option<String>,
    /// Restrict external access to the network
    #[arg(long)]
    pub internal: bool,
    /// Enable or disable IPv6 networking (skiff networks are IPv4 only)
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub ipv6: Option<bool>,
    /// Set metadata on a network
    #[arg(long)]
    pub label: Vec<String>,
    pub name: String,
}

#[derive(Debug, ClapArgs)]
pub struct LsArgs {
    #[command(flatten)]
    pub list: ListArgs,
    /// Do not truncate the output
    #[arg(long)]
    pub no_trunc: bool,
}

#[derive(Debug, ClapArgs)]
pub struct RmArgs {
    #[arg(required = true)]
    pub names: Vec<String>,
}

#[derive(Debug, ClapArgs)]
pub struct ConnectArgs {
    /// Add network-scoped alias for the container
    #[arg(long)]
    pub alias: Vec<String>,
    pub network: String,
    pub container: String,
}

#[derive(Debug, ClapArgs)]
pub struct DisconnectArgs {
    /// Force the container to disconnect from a network
    #[arg(short = 'f', long)]
    pub force: bool,
    pub network: String,
    pub container: String,
}

#[derive(Debug, ClapArgs)]
pub struct PruneArgs {
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    pub force: bool,
}

/// The network context of the CLI's store root.
pub fn context(g: &Globals) -> anyhow::Result<net::NetContext> {
    let root = g.absolute_root()?;
    Ok(net::NetContext::new(&root)?)
}

/// docker's pseudo-networks, listed but not stored.
const PSEUDO: [&str; 2] = ["host", "none"];

fn pseudo_id(name: &str) -> String {
    use std::fmt::Write;
    // Stable per name, 64 hex digits like real ids.
    let mut s = String::new();
    for b in name.bytes().cycle().take(32) {
        let _ = write!(s, "{:02x}", b);
    }
    s
}

fn inspect_json(n: &net::NetworkInfo, eps: &[net::Endpoint]) -> Value {
    let containers: serde_json::Map<String, Value> = eps
        .iter()
        .filter_map(|e| {
            let a = e.attachments.iter().find(|a| a.network == n.name)?;
            Some((
                e.id.clone(),
                json!({
                    "Name": e.name,
                    "EndpointID": a.host_veth,
                    "MacAddress": "",
                    "IPv4Address": format!("{}/{}", a.ip, a.prefix),
                    "IPv6Address": "",
                }),
            ))
        })
        .collect();
    json!({
        "Name": n.name,
        "Id": n.id,
        "Created": n.created,
        "Scope": "local",
        "Driver": n.driver,
        "EnableIPv6": false,
        "IPAM": {
            "Driver": "default",
            "Options": {},
            "Config": [{"Subnet": n.subnet.to_string(), "Gateway": n.gateway.to_string()}],
        },
        "Internal": n.internal,
        "Attachable": false,
        "Ingress": false,
        "ConfigFrom": {"Network": ""},
        "ConfigOnly": false,
        "Containers": containers,
        "Options": {"com.docker.network.bridge.name": n.bridge},
        "Labels": n.labels,
    })
}

fn container_id(g: &Globals, reference: &str) -> anyhow::Result<String> {
    let layout = g.layout()?;
    skiff_runtime::state::resolve(&layout, reference).map_err(|e| anyhow!("{e}"))
}

pub fn run(g: &Globals, c: Command) -> anyhow::Result<i32> {
    run_args(g, c).map_err(crate::exit::exits_one)
}

fn run_args(g: &Globals, c: Command) -> anyhow::Result<i32> {
    let ctx = context(g)?;
    match c {
        Command::Create(a) => {
            if a.driver != "bridge" {
                return Err(anyhow!(
                    "plugin \"{}\" not found: skiff networks use the bridge driver",
                    a.driver
                ));
            }
            // Refused rather than ignored: a network without the IPv6 the
            // user asked for would fail later and less clearly.
            if a.ipv6 == Some(true) {
                return Err(crate::exit::unsupported(
                    "--ipv6",
                    "IPv6 networks are not supported by skiff (IPv4 only, docker's default)",
                ));
            }
            let subnet = a.subnet.as_deref().map(str::parse).transpose()?;
            let gateway = a
                .gateway
                .as_deref()
                .map(|s| {
                    s.parse()
                        .map_err(|_| anyhow!("invalid --gateway {s:?}: want an IPv4 address"))
                })
                .transpose()?;
            let labels = a
                .label
                .iter()
                .map(|l| match l.split_once('=') {
                    Some((k, v)) => (k.to_string(), v.to_string()),
                    None => (l.clone(), String::new()),
                })
                .collect();
            let n = net::create_network(
                &ctx,
                &a.name,
                &net::CreateOptions {
                    subnet,
                    gateway,
                    internal: a.internal,
                    labels,
                },
            )?;
            say!("{}", n.id);
        }
        Command::Ls(a) => {
            let mut rows: Vec<Value> = net::list_networks(&ctx)?
                .into_iter()
                .map(|n| (n.id, n.name, n.driver))
                .chain(PSEUDO.map(|p| (pseudo_id(p), p.to_string(), p.to_string())))
                .map(|(id, name, driver)| {
                    let id = if a.no_trunc {
                        id
                    } else {
                        id.chars().take(12).collect()
                    };
                    json!({"ID": id, "Name": name, "Driver": driver, "Scope": "local"})
                })
                .collect();
            rows.sort_by(|x, y| x["Name"].as_str().cmp(&y["Name"].as_str()));
            if a.list.quiet {
                for r in &rows {
                    say!("{}", r["ID"].as_str().unwrap_or_default());
                }
                return Ok(0);
            }
            let columns = Columns {
                default: "{{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}",
                titles: &[("ID", "NETWORK ID")],
            };
            print_list(a.list.format.as_deref(), &columns, &rows)?;
        }
        Command::Inspect(a) => {
            let mut out = Vec::new();
            let mut batch = Batch::default();
            for name in &a.names {
                match net::inspect_network(&ctx, name) {
                    Ok((n, eps)) => out.push(inspect_json(&n, &eps)),
                    Err(net::Error::NoSuchNetwork(_)) => {
                        batch.failed(format!("No such network: {name}"))
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            super::inspect::print_values(&out, a.format.as_deref())?;
            return Ok(batch.code());
        }
        Command::Rm(a) => {
            return Ok(each_named(&a.names, |n| net::remove_network(&ctx, n)));
        }
        Command::Connect(a) => {
            let id = container_id(g, &a.container)?;
            net::connect(&ctx, &id, &a.network, &a.alias)?;
        }
        Command::Disconnect(a) => {
            if a.force {
                return Err(crate::exit::unsupported(
                    "--force",
                    "skiff's disconnect already releases stopped and running containers alike",
                ));
            }
            let id = container_id(g, &a.container)?;
            net::disconnect(&ctx, &id, &a.network)?;
        }
        Command::Prune(a) => {
            let warning =
                "WARNING! This will remove all custom networks not used by at least one container.";
            if !super::prune_shared::go_ahead(a.force, warning)? {
                return Ok(0);
            }
            let removed = net::prune::prune_networks(&ctx)?;
            if !removed.is_empty() {
                say!("Deleted Networks:");
                for r in removed {
                    say!("{r}");
                }
            }
        }
    }
    Ok(0)
}
