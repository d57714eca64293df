//! Container ids (64 hex digits, like docker's) and generated names.

use std::io::Read;

pub fn new_id() -> String {
    let mut buf = [0u8; 32];
    if std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .is_err()
    {
        // Only reachable without /dev: fall back to time and pid.
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        for (i, b) in buf.iter_mut().enumerate() {
            *b = (t >> ((i % 16) * 8)) as u8 ^ (std::process::id() >> (i % 4)) as u8;
        }
    }
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

const ADJECTIVES: &[&str] = &[
    "agile", "bold", "brave", "calm", "clever", "eager", "fancy", "gentle", "happy", "jolly",
    "keen", "lucid", "merry", "nimble", "proud", "quiet", "rapid", "sharp", "steady", "witty",
];
const NOUNS: &[&str] = &[
    "otter", "heron", "falcon", "badger", "marten", "puffin", "lynx", "beaver", "crane", "ferret",
    "gecko", "ibis", "koala", "lemur", "newt", "osprey", "panda", "raven", "stoat", "wren",
];

/// A docker-style `adjective_noun` name derived from the id; the caller adds
/// a suffix if it is taken.
pub fn name_for(id: &str, attempt: u32) -> String {
    let n = u64::from_str_radix(&id[..12.min(id.len())], 16).unwrap_or(0);
    let a = ADJECTIVES[(n % ADJECTIVES.len() as u64) as usize];
    let b = NOUNS[((n / 97) % NOUNS.len() as u64) as usize];
    if attempt == 0 {
        format!("{a}_{b}")
    } else {
        format!("{a}_{b}{attempt}")
    }
}
