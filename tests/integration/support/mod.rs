//! Servers the remote tests start on 127.0.0.1 and stop when dropped: `git daemon` for
//! git://, `git http-backend` behind a small HTTP server for smart HTTP, and a stand-in
//! of the GitHub REST API. Each listens on a port the system picks (no race for a fixed
//! one).

pub(crate) mod git_daemon;
pub(crate) mod git_http;
pub(crate) mod github;
pub(crate) mod http;
