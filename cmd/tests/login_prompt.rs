//! `skiff login`'s interactive password prompt on a real terminal (a pty):
//! nothing typed is echoed, and echo is back afterwards, also when the
//! user presses Ctrl-C at the prompt (exit 130, as docker's CLI restores
//! the terminal on an interrupt). The registry is 127.0.0.1:1, where
//! nothing listens: the prompt is all these tests reach.

mod common;

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{skiff_bin, Store};

/// `skiff login 127.0.0.1:1 -u x` on a fresh pty: the child, the master
/// side, and everything the child has written to the terminal so far.
struct Prompt {
    child: Child,
    master: File,
    seen: Arc<Mutex<Vec<u8>>>,
    _store: Store,
}

impl Prompt {
    fn start() -> Prompt {
        let (mut m, mut s) = (0, 0);
        // SAFETY: openpty fills two descriptors; no name, termios or size.
        let r = unsafe {
            libc::openpty(
                &mut m,
                &mut s,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        assert_eq!(r, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: fresh descriptors this test owns.
        let (master, slave) = unsafe { (File::from_raw_fd(m), OwnedFd::from_raw_fd(s)) };
        let store = Store::new();
        let child = Command::new(skiff_bin())
            .arg("--root")
            .arg(store.root())
            .args(["login", "127.0.0.1:1", "-u", "x"])
            .stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave))
            .spawn()
            .unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (mut r, s) = (master.try_clone().unwrap(), seen.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 256];
            while let Ok(n @ 1..) = r.read(&mut buf) {
                s.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        let p = Prompt {
            child,
            master,
            seen,
            _store: store,
        };
        p.wait_for("Password: ");
        p
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.seen.lock().unwrap()).into_owned()
    }

    fn wait_for(&self, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.text().contains(what) {
            assert!(
                Instant::now() < deadline,
                "no {what:?} on the terminal: {:?}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the terminal echoes what is typed.
    fn echo(&self) -> bool {
        // SAFETY: tcgetattr fills a termios for a descriptor we own.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        assert_eq!(
            unsafe { libc::tcgetattr(self.master.as_raw_fd(), &mut t) },
            0
        );
        t.c_lflag & libc::ECHO != 0
    }

    fn exit_code(&mut self) -> Option<i32> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st.code();
            }
            assert!(
                Instant::now() < deadline,
                "login still running: {:?}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
fn a_typed_password_is_not_echoed_and_echo_comes_back() {
    let mut p = Prompt::start();
    // Echo goes off before the prompt is written.
    assert!(!p.echo(), "echo on at the prompt");
    p.master.write_all(b"s3cret-word\n").unwrap();
    assert_eq!(p.exit_code(), Some(1), "{:?}", p.text());
    p.wait_for("127.0.0.1:1");
    assert!(!p.text().contains("s3cret-word"), "{:?}", p.text());
    assert!(p.echo(), "echo not restored: {:?}", p.text());
}

#[test]
fn ctrl_c_at_the_password_prompt_restores_echo() {
    let mut p = Prompt::start();
    assert!(!p.echo(), "echo on at the prompt");
    // What the terminal's Ctrl-C sends the foreground process.
    // SAFETY: kill of the child this test started.
    assert_eq!(unsafe { libc::kill(p.child.id() as i32, libc::SIGINT) }, 0);
    assert_eq!(p.exit_code(), Some(130), "{:?}", p.text());
    assert!(
        p.echo(),
        "Ctrl-C left the terminal without echo: {:?}",
        p.text()
    );
}
