//! docker's network choice for `run`: the mode `--network` names, the ports
//! `-p`/`-P` publish, and which combinations it refuses or ignores.

use skiff_network::{NetContext, PortMapping};

use super::options::NetworkOptions;
use crate::config::Network;
use crate::error::{Error, Result};
use crate::net::net_err;

pub(super) struct NetworkChoice {
    pub network: Network,
    /// The user network joined; empty for docker's `bridge`.
    pub name: String,
    /// `-p`, and after [`publish_exposed`] also `-P`.
    pub ports: Vec<PortMapping>,
}

/// `--network`, `-p` and `--network-alias`. `warn` hears about published
/// ports that the mode discards.
pub(super) fn choose(
    ctx: &NetContext,
    o: &NetworkOptions,
    warn: &mut dyn FnMut(&str),
) -> Result<NetworkChoice> {
    let (network, name) = match o.network.as_deref() {
        None | Some("default") | Some("bridge") => (Network::Bridge, String::new()),
        Some("host") => (Network::Host, String::new()),
        Some("none") => (Network::None, String::new()),
        Some(other) if other.starts_with("container:") => {
            return Err(Error::Invalid(format!(
                "--network {other}: joining another container's network namespace is not supported"
            )))
        }
        Some(other) => {
            let (n, _) = skiff_network::inspect_network(ctx, other).map_err(net_err)?;
            (Network::Bridge, n.name)
        }
    };
    let mut ports = Vec::new();
    for p in &o.publish {
        ports.extend(skiff_network::ports::parse(p).map_err(net_err)?);
    }
    if network != Network::Bridge && (!ports.is_empty() || o.publish_all) {
        warn(&format!(
            "Published ports are discarded when using {} network mode",
            network.docker_name()
        ));
        ports.clear();
    }
    if !o.aliases.is_empty() && name.is_empty() {
        return Err(Error::Invalid(
            "network-scoped alias is supported only for containers in user defined networks".into(),
        ));
    }
    Ok(NetworkChoice {
        network,
        name,
        ports,
    })
}

/// `-P`: every EXPOSEd port not already published gets a random host port
/// (on a bridge only); then docker's refusal of a taken host port, before
/// anything is created (attach checks again under the network lock).
pub(super) fn publish_exposed(
    ctx: &NetContext,
    choice: &mut NetworkChoice,
    publish_all: bool,
    exposed: &[String],
) -> Result<()> {
    if publish_all && choice.network == Network::Bridge {
        for e in exposed {
            let spec = e.strip_suffix("/sctp").unwrap_or(e);
            for mut p in skiff_network::ports::parse(spec).map_err(net_err)? {
                if !choice
                    .ports
                    .iter()
                    .any(|q| q.container_port == p.container_port && q.proto == p.proto)
                {
                    p.host_port = 0;
                    choice.ports.push(p);
                }
            }
        }
    }
    // Nothing to publish: no need to take the network locks and read every
    // endpoint on the start-up path.
    if choice.ports.is_empty() {
        return Ok(());
    }
    skiff_network::check_ports(ctx, &choice.ports).map_err(net_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choose_with(
        network: &str,
        publish: &[&str],
        aliases: &[&str],
    ) -> (Result<NetworkChoice>, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        let ctx = NetContext::new(dir.path()).unwrap();
        let o = NetworkOptions {
            network: Some(network.to_string()),
            publish: publish.iter().map(|s| s.to_string()).collect(),
            aliases: aliases.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        let mut warnings = Vec::new();
        let choice = choose(&ctx, &o, &mut |w| warnings.push(w.to_string()));
        (choice, warnings)
    }

    #[test]
    fn modes_ports_and_aliases() {
        let (c, w) = choose_with("bridge", &["8080:80"], &[]);
        let c = c.unwrap();
        assert_eq!((c.network, c.ports.len()), (Network::Bridge, 1));
        assert!(w.is_empty());
        // Published ports are dropped, with docker's warning, off a bridge.
        let (c, w) = choose_with("host", &["8080:80"], &[]);
        assert!(c.unwrap().ports.is_empty());
        assert_eq!(
            w,
            ["Published ports are discarded when using host network mode"]
        );
        assert!(choose_with("container:web", &[], &[]).0.is_err());
        assert!(
            choose_with("none", &[], &["db"]).0.is_err(),
            "alias needs a user network"
        );
    }
}
