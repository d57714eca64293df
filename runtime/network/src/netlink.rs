//! A minimal netlink message builder and a blocking request/ack socket,
//! shared by the rtnetlink ([`crate::link`]) and nftables ([`crate::nft`])
//! code. Hand-written on purpose: the only pure-Rust nftables netlink crate
//! (rustables) is GPL-3.0 (skiff is Apache-2.0) and the `nftables` crate
//! shells out to `nft`; with a builder for nftables anyway, the dozen
//! rtnetlink messages we send cost a few lines each, stay synchronous (no
//! tokio runtime inside libcontainer's single-threaded re-exec) and add no
//! dependency.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// Marks a nested attribute's type (nftables requires it). libc types the
/// netlink constants as `int`; attribute types are 16 bits on the wire.
pub const NLA_F_NESTED: u16 = libc::NLA_F_NESTED as u16;

/// One netlink message under construction.
pub struct Msg {
    buf: Vec<u8>,
    nests: Vec<usize>,
}

fn align(n: usize) -> usize {
    (n + 3) & !3
}

impl Msg {
    /// `flags`: libc's `NLM_F_*` (typed `int` there; `nlmsg_flags` is the
    /// header's 16 bits, which hold every one of them).
    pub fn new(ty: u16, flags: libc::c_int) -> Msg {
        let mut buf = vec![0u8; 16];
        buf[4..6].copy_from_slice(&ty.to_ne_bytes());
        buf[6..8].copy_from_slice(&(flags as u16).to_ne_bytes());
        Msg {
            buf,
            nests: Vec::new(),
        }
    }

    /// A fixed family header (ifinfomsg, ifaddrmsg, rtmsg, nfgenmsg).
    pub fn header(&mut self, bytes: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(bytes);
        self.pad();
        self
    }

    fn pad(&mut self) {
        let n = align(self.buf.len());
        self.buf.resize(n, 0);
    }

    pub fn attr(&mut self, ty: u16, data: &[u8]) -> &mut Self {
        let len = (4 + data.len()) as u16;
        self.buf.extend_from_slice(&len.to_ne_bytes());
        self.buf.extend_from_slice(&ty.to_ne_bytes());
        self.buf.extend_from_slice(data);
        self.pad();
        self
    }

    pub fn str(&mut self, ty: u16, s: &str) -> &mut Self {
        let mut d = s.as_bytes().to_vec();
        d.push(0);
        self.attr(ty, &d)
    }

    pub fn u32(&mut self, ty: u16, v: u32) -> &mut Self {
        self.attr(ty, &v.to_ne_bytes())
    }

    /// Big-endian u32: nftables attributes are in network byte order.
    pub fn be32(&mut self, ty: u16, v: u32) -> &mut Self {
        self.attr(ty, &v.to_be_bytes())
    }

    pub fn begin(&mut self, ty: u16) -> &mut Self {
        self.nests.push(self.buf.len());
        self.buf.extend_from_slice(&[0, 0]);
        self.buf.extend_from_slice(&ty.to_ne_bytes());
        self
    }

    pub fn end(&mut self) -> &mut Self {
        if let Some(start) = self.nests.pop() {
            let len = (self.buf.len() - start) as u16;
            self.buf[start..start + 2].copy_from_slice(&len.to_ne_bytes());
        }
        self
    }

    pub fn finish(mut self, seq: u32) -> Vec<u8> {
        while !self.nests.is_empty() {
            self.end();
        }
        let len = self.buf.len() as u32;
        self.buf[0..4].copy_from_slice(&len.to_ne_bytes());
        self.buf[8..12].copy_from_slice(&seq.to_ne_bytes());
        self.buf
    }
}

/// A blocking netlink socket in the network namespace current when it was
/// opened (it stays there when the thread moves).
pub struct Socket {
    fd: OwnedFd,
    seq: u32,
}

impl Socket {
    /// `proto`: `libc::NETLINK_ROUTE`, `libc::NETLINK_NETFILTER`...
    pub fn open(proto: libc::c_int) -> io::Result<Socket> {
        // SAFETY: plain socket/bind calls on a fresh fd we own.
        unsafe {
            let fd = libc::socket(libc::AF_NETLINK, libc::SOCK_RAW | libc::SOCK_CLOEXEC, proto);
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            let fd = OwnedFd::from_raw_fd(fd);
            let mut sa: libc::sockaddr_nl = std::mem::zeroed();
            sa.nl_family = libc::AF_NETLINK as u16;
            if libc::bind(
                fd.as_raw_fd(),
                &sa as *const _ as *const libc::sockaddr,
                std::mem::size_of::<libc::sockaddr_nl>() as u32,
            ) < 0
            {
                return Err(io::Error::last_os_error());
            }
            // A dead kernel answer must not hang skiff forever.
            let tv = libc::timeval {
                tv_sec: 10,
                tv_usec: 0,
            };
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                &tv as *const _ as *const libc::c_void,
                std::mem::size_of::<libc::timeval>() as u32,
            );
            Ok(Socket { fd, seq: 1 })
        }
    }

    pub fn next_seq(&mut self) -> u32 {
        self.seq += 1;
        self.seq
    }

    fn send(&self, data: &[u8]) -> io::Result<()> {
        // SAFETY: data is a valid buffer; the kernel address is all zeros.
        let n = unsafe {
            let mut sa: libc::sockaddr_nl = std::mem::zeroed();
            sa.nl_family = libc::AF_NETLINK as u16;
            libc::sendto(
                self.fd.as_raw_fd(),
                data.as_ptr() as *const libc::c_void,
                data.len(),
                0,
                &sa as *const _ as *const libc::sockaddr,
                std::mem::size_of::<libc::sockaddr_nl>() as u32,
            )
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Send one message built with NLM_F_ACK and wait for its ack.
    pub fn request(&mut self, msg: Msg) -> io::Result<()> {
        let seq = self.next_seq();
        let data = msg.finish(seq);
        self.send(&data)?;
        self.wait_acks(&[seq])
    }

    /// Send an nfnetlink batch: every message carries NLM_F_ACK and its own
    /// sequence number; the batch is applied atomically or not at all.
    pub fn batch(&mut self, msgs: Vec<Msg>) -> io::Result<()> {
        let mut data = Vec::new();
        let mut seqs = Vec::new();
        for (i, m) in msgs.into_iter().enumerate() {
            let seq = self.next_seq();
            // The batch begin/end markers are not acked.
            if i != 0 {
                seqs.push(seq);
            }
            data.extend_from_slice(&m.finish(seq));
        }
        seqs.pop();
        self.send(&data)?;
        self.wait_acks(&seqs)
    }

    fn wait_acks(&self, seqs: &[u32]) -> io::Result<()> {
        let mut pending: Vec<u32> = seqs.to_vec();
        let mut buf = vec![0u8; 65536];
        while !pending.is_empty() {
            // SAFETY: buf is a valid writable buffer of its length.
            let n = unsafe {
                libc::recv(
                    self.fd.as_raw_fd(),
                    buf.as_mut_ptr() as *mut libc::c_void,
                    buf.len(),
                    0,
                )
            };
            if n < 0 {
                return Err(io::Error::last_os_error());
            }
            let mut off = 0usize;
            let n = n as usize;
            while off + 16 <= n {
                let len =
                    u32::from_ne_bytes(buf[off..off + 4].try_into().unwrap_or([0; 4])) as usize;
                let ty = u16::from_ne_bytes([buf[off + 4], buf[off + 5]]);
                let seq = u32::from_ne_bytes(buf[off + 8..off + 12].try_into().unwrap_or([0; 4]));
                if len < 16 || off + len > n {
                    break;
                }
                if ty == libc::NLMSG_ERROR as u16 && len >= 20 {
                    let code =
                        i32::from_ne_bytes(buf[off + 16..off + 20].try_into().unwrap_or([0; 4]));
                    pending.retain(|s| *s != seq);
                    if code != 0 {
                        return Err(io::Error::from_raw_os_error(-code));
                    }
                }
                off += align(len);
            }
        }
        Ok(())
    }
}
