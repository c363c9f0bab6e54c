//! git:// on loopback: `git daemon --inetd` run for each connection accepted on a
//! port-0 listener, serving every repository under a directory.

use std::os::fd::OwnedFd;
use std::path::Path;
use std::process::{Command, Stdio};

use super::http::Server;

pub(crate) struct GitDaemon {
    /// `git://127.0.0.1:PORT`
    pub(crate) url: String,
    _server: Server,
}

impl GitDaemon {
    pub(crate) fn start(base: &Path) -> GitDaemon {
        let base = base.to_path_buf();
        let server = Server::start(move |stream| {
            let (Ok(input), Ok(output)) = (stream.try_clone(), stream.try_clone()) else {
                return;
            };
            let child = Command::new("git")
                .args(["daemon", "--inetd", "--export-all"])
                .arg(format!("--base-path={}", base.display()))
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .stdin(Stdio::from(OwnedFd::from(input)))
                .stdout(Stdio::from(OwnedFd::from(output)))
                .stderr(Stdio::null())
                .spawn();
            drop(stream);
            if let Ok(mut child) = child {
                let _ = child.wait();
            }
        });
        GitDaemon {
            url: format!("git://{}", server.addr),
            _server: server,
        }
    }
}
