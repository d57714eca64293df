//! IPv4 subnets and address allocation. Allocation is derived from the
//! endpoint files under the network lock (see [`crate::store`]): an address
//! is taken exactly while an endpoint file names it, so there is no second
//! record that could drift from the first.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Subnet {
    addr: Ipv4Addr,
    prefix: u8,
}

impl Subnet {
    pub fn new(addr: Ipv4Addr, prefix: u8) -> Subnet {
        let prefix = prefix.min(32);
        let s = Subnet { addr, prefix };
        Subnet {
            addr: s.network(),
            prefix,
        }
    }

    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    pub fn mask(&self) -> Ipv4Addr {
        Ipv4Addr::from(if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - self.prefix)
        })
    }

    pub fn network(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) & u32::from(self.mask()))
    }

    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & u32::from(self.mask()) == u32::from(self.network())
    }

    pub fn overlaps(&self, o: &Subnet) -> bool {
        self.contains(o.network()) || o.contains(self.network())
    }

    /// The n-th address of the subnet (n = 1 is the gateway by convention).
    pub fn nth(&self, n: u32) -> Option<Ipv4Addr> {
        let size = 1u64 << (32 - self.prefix as u32);
        // Neither the network nor the broadcast address.
        (n > 0 && (n as u64) < size - 1).then(|| Ipv4Addr::from(u32::from(self.network()) + n))
    }

    pub fn gateway(&self) -> Ipv4Addr {
        self.nth(1).unwrap_or(self.addr)
    }

    /// The lowest free address after the gateway.
    pub fn allocate(&self, taken: &[Ipv4Addr]) -> Result<Ipv4Addr> {
        let gw = self.gateway();
        let mut n = 2;
        while let Some(ip) = self.nth(n) {
            if ip != gw && !taken.contains(&ip) {
                return Ok(ip);
            }
            n += 1;
        }
        Err(Error::Conflict(format!(
            "no available IPv4 address in {self}"
        )))
    }
}

impl fmt::Display for Subnet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network(), self.prefix)
    }
}

impl FromStr for Subnet {
    type Err = Error;
    fn from_str(s: &str) -> Result<Subnet> {
        let bad = || {
            Error::Invalid(format!(
                "invalid subnet {s:?}: want an IPv4 CIDR like 10.89.0.0/24"
            ))
        };
        let (a, p) = s.split_once('/').ok_or_else(bad)?;
        let addr: Ipv4Addr = a.parse().map_err(|_| bad())?;
        let prefix: u8 = p.parse().map_err(|_| bad())?;
        if !(8..=30).contains(&prefix) {
            return Err(Error::Invalid(format!(
                "invalid subnet {s:?}: prefix length must be between 8 and 30"
            )));
        }
        Ok(Subnet::new(addr, prefix))
    }
}

impl TryFrom<String> for Subnet {
    type Error = Error;
    fn try_from(s: String) -> Result<Subnet> {
        s.parse()
    }
}

impl From<Subnet> for String {
    fn from(s: Subnet) -> String {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocate_skips_gateway_and_taken() {
        let s: Subnet = "10.201.0.0/29".parse().unwrap();
        assert_eq!(s.gateway(), Ipv4Addr::new(10, 201, 0, 1));
        let a = s.allocate(&[]).unwrap();
        assert_eq!(a, Ipv4Addr::new(10, 201, 0, 2));
        let taken: Vec<_> = (2..7).map(|n| s.nth(n).unwrap()).collect();
        assert!(s.allocate(&taken).is_err());
        assert!("10.0.0.0".parse::<Subnet>().is_err());
        assert!("10.0.0.0/31".parse::<Subnet>().is_err());
    }
}
