//! Test support shared by OMEGA's test suites.
//!
//! Tests talk to real servers. The machine's own Redis serves most of them;
//! tests that must stop and restart a server (start-up failures, losing
//! Redis mid-run) start a private `redis-server` on a free port with
//! [`RedisProcess`].

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A free TCP port on 127.0.0.1 (nothing listens on it when this returns).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

/// A private `redis-server` (no persistence) that is killed on drop.
#[derive(Debug)]
pub struct RedisProcess {
    child: Child,
    port: u16,
}

impl RedisProcess {
    /// Starts `redis-server` on `port` and waits until it accepts
    /// connections. Panics with a hint when Redis is not installed.
    pub fn start(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed (scripts/test installs it)");
        let mut process = Self { child, port };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return process;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = process.child.kill();
        panic!("redis-server did not start on port {port}");
    }

    /// The server's URL.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

impl Drop for RedisProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
