//! `ADD <url>`: a plain HTTP/1.1 GET (redirects followed, chunked or sized
//! bodies), `--checksum` verified. https is refused for now: skiff's TLS
//! stack lives in skiff-registry and is async; say so rather than fake it.

use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use sha2::{Digest as _, Sha256};

/// Download `url` into `dir`; returns the file name used.
pub fn download(url: &str, dir: &Path, checksum: Option<&str>) -> io::Result<String> {
    let mut url = url.to_string();
    for _ in 0..5 {
        let Some(rest) = url.strip_prefix("http://") else {
            return Err(io::Error::other(
                "only http:// URLs are supported by ADD for now",
            ));
        };
        let (hostport, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let addr = if hostport.contains(':') {
            hostport.to_string()
        } else {
            format!("{hostport}:80")
        };
        let mut s = TcpStream::connect(&addr)?;
        s.set_read_timeout(Some(Duration::from_secs(60)))?;
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {hostport}\r\nUser-Agent: skiff\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n"
        )?;
        let mut r = BufReader::new(s);
        let mut status = String::new();
        r.read_line(&mut status)?;
        let code: u16 = status
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let mut headers = Vec::new();
        loop {
            let mut l = String::new();
            if r.read_line(&mut l)? == 0 || l == "\r\n" || l == "\n" {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let header = |k: &str| headers.iter().find(|h| h.0 == k).map(|h| h.1.clone());
        if (300..400).contains(&code) {
            let loc =
                header("location").ok_or_else(|| io::Error::other("redirect without Location"))?;
            url = if loc.starts_with("http") {
                loc
            } else {
                format!("http://{hostport}{loc}")
            };
            continue;
        }
        if code != 200 {
            return Err(io::Error::other(format!(
                "unexpected status: {}",
                status.trim()
            )));
        }
        let name = path
            .split('?')
            .next()
            .unwrap_or("")
            .rsplit('/')
            .find(|s| !s.is_empty())
            .unwrap_or("download")
            .to_string();
        let dest = dir.join(&name);
        let mut f = fs::File::create(&dest)?;
        let mut h = Sha256::new();
        let mut sink = |buf: &[u8]| -> io::Result<()> {
            h.update(buf);
            f.write_all(buf)
        };
        if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
            loop {
                let mut l = String::new();
                r.read_line(&mut l)?;
                let n = usize::from_str_radix(l.trim().split(';').next().unwrap_or(""), 16)
                    .map_err(|_| io::Error::other("bad chunk size"))?;
                if n == 0 {
                    break;
                }
                let mut buf = vec![0u8; n];
                r.read_exact(&mut buf)?;
                sink(&buf)?;
                let mut crlf = [0u8; 2];
                r.read_exact(&mut crlf)?;
            }
        } else {
            let mut limited: Box<dyn Read> =
                match header("content-length").and_then(|v| v.parse::<u64>().ok()) {
                    Some(n) => Box::new(r.take(n)),
                    None => Box::new(r),
                };
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = limited.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                sink(&buf[..n])?;
            }
        }
        let got = format!("sha256:{}", hex::encode(h.finalize()));
        if let Some(want) = checksum {
            if want != got {
                return Err(io::Error::other(format!(
                    "digest mismatch: expected {want}, got {got}"
                )));
            }
        }
        return Ok(name);
    }
    Err(io::Error::other("too many redirects"))
}
