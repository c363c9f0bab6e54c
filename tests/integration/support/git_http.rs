//! Smart HTTP on loopback: `git http-backend` (CGI) behind a small HTTP server, for every
//! repository under a directory. Paths under `private` prefixes ask for HTTP basic
//! authentication with `x-access-token:<token>`, as GitHub does; the `Authorization`
//! headers received are recorded.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use super::http::{base64, read_request, write_response, Request, Response, Server};

pub(crate) struct GitHttp {
    /// `http://127.0.0.1:PORT`
    pub(crate) url: String,
    /// `Authorization` header values received (with the request path).
    pub(crate) authorizations: Arc<Mutex<Vec<(String, String)>>>,
    _server: Server,
}

impl GitHttp {
    pub(crate) fn start(root: &Path, private: &[&str], token: &str) -> GitHttp {
        let root = root.to_path_buf();
        let private: Vec<String> = private.iter().map(|p| p.to_string()).collect();
        let expected = format!(
            "Basic {}",
            base64(format!("x-access-token:{token}").as_bytes())
        );
        let authorizations = Arc::new(Mutex::new(Vec::new()));
        let seen = authorizations.clone();
        let server = Server::start(move |stream| {
            let Some(req) = read_request(&stream) else {
                return;
            };
            if let Some(a) = req.header("authorization") {
                seen.lock()
                    .unwrap()
                    .push((req.path().to_string(), a.to_string()));
            }
            let needs_auth = private.iter().any(|p| req.path().starts_with(p.as_str()));
            let response = if needs_auth && req.header("authorization") != Some(expected.as_str()) {
                Response {
                    status: 401,
                    headers: vec![("WWW-Authenticate".into(), "Basic realm=\"test\"".into())],
                    body: b"authentication required\n".to_vec(),
                }
            } else {
                backend(&root, &req, needs_auth)
            };
            write_response(&stream, &response);
        });
        GitHttp {
            url: format!("http://{}", server.addr),
            authorizations,
            _server: server,
        }
    }
}

/// One CGI request to `git http-backend`.
fn backend(root: &PathBuf, req: &Request, authenticated: bool) -> Response {
    let mut cmd = Command::new("git");
    cmd.arg("http-backend")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("PATH_INFO", req.path())
        .env("QUERY_STRING", req.query())
        .env("REQUEST_METHOD", &req.method)
        .env("CONTENT_TYPE", req.header("content-type").unwrap_or(""))
        .env("CONTENT_LENGTH", req.body.len().to_string())
        .env("GIT_PROTOCOL", req.header("git-protocol").unwrap_or(""))
        .env(
            "HTTP_CONTENT_ENCODING",
            req.header("content-encoding").unwrap_or(""),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if authenticated {
        cmd.env("REMOTE_USER", "x-access-token");
    }
    let Ok(mut child) = cmd.spawn() else {
        return Response {
            status: 500,
            headers: vec![],
            body: b"no git http-backend\n".to_vec(),
        };
    };
    let mut stdin = child.stdin.take().unwrap();
    let body = req.body.clone();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&body);
    });
    let mut out = Vec::new();
    let _ = child.stdout.take().unwrap().read_to_end(&mut out);
    let _ = writer.join();
    let _ = child.wait();
    // CGI: headers, a blank line, the body.
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4))
        .or_else(|| out.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)));
    let Some((at, sep)) = split else {
        return Response {
            status: 500,
            headers: vec![],
            body: out,
        };
    };
    let head = String::from_utf8_lossy(&out[..at]).to_string();
    let mut status = 200;
    let mut headers = Vec::new();
    for line in head.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let (k, v) = (k.trim(), v.trim());
        if k.eq_ignore_ascii_case("status") {
            status = v
                .split_whitespace()
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or(500);
        } else {
            headers.push((k.to_string(), v.to_string()));
        }
    }
    Response {
        status,
        headers,
        body: out[at + sep..].to_vec(),
    }
}
