//! A stand-in for the GitHub REST API on loopback: JSON answers by exact path and query,
//! pages linked with `Link: <…>; rel="next"`, answers that depend on the token, and
//! one-off answers served first (a rate limit, a 5xx). Every request is recorded with its
//! `Authorization` header.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::http::{read_request, write_response, Response, Server};

#[derive(Clone)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Answer {
    pub(crate) fn json(v: &Value) -> Answer {
        Answer {
            status: 200,
            headers: vec![],
            body: v.to_string(),
        }
    }

    pub(crate) fn status(status: u16, message: &str) -> Answer {
        Answer {
            status,
            headers: vec![],
            body: serde_json::json!({ "message": message }).to_string(),
        }
    }

    pub(crate) fn header(mut self, k: &str, v: &str) -> Answer {
        self.headers.push((k.to_string(), v.to_string()));
        self
    }
}

#[derive(Default)]
struct Route {
    first: VecDeque<Answer>,
    always: Option<Answer>,
    /// The answer for requests bearing this token.
    with_token: Option<(String, Answer)>,
}

#[derive(Default)]
struct State {
    routes: HashMap<String, Route>,
    /// (path and query, Authorization header)
    requests: Vec<(String, Option<String>)>,
}

pub(crate) struct GitHubStub {
    /// `http://127.0.0.1:PORT`
    pub(crate) url: String,
    state: Arc<Mutex<State>>,
    _server: Server,
}

impl GitHubStub {
    pub(crate) fn start() -> GitHubStub {
        let state = Arc::new(Mutex::new(State::default()));
        let s = state.clone();
        let server = Server::start(move |stream| {
            let Some(req) = read_request(&stream) else {
                return;
            };
            let auth = req.header("authorization").map(str::to_string);
            let answer = {
                let mut st = s.lock().unwrap();
                st.requests.push((req.target.clone(), auth.clone()));
                match st.routes.get_mut(&req.target) {
                    None => Answer::status(404, "Not Found"),
                    Some(route) => match route.first.pop_front() {
                        Some(a) => a,
                        None => match &route.with_token {
                            Some((token, a))
                                if auth.as_deref() == Some(&format!("Bearer {token}")) =>
                            {
                                a.clone()
                            }
                            _ => route
                                .always
                                .clone()
                                .unwrap_or_else(|| Answer::status(404, "Not Found")),
                        },
                    },
                }
            };
            write_response(
                &stream,
                &Response {
                    status: answer.status,
                    headers: answer
                        .headers
                        .iter()
                        .cloned()
                        .chain([("Content-Type".to_string(), "application/json".to_string())])
                        .collect(),
                    body: answer.body.into_bytes(),
                },
            );
        });
        GitHubStub {
            url: format!("http://{}", server.addr),
            state,
            _server: server,
        }
    }

    pub(crate) fn route(&self, target: &str, answer: Answer) {
        self.state
            .lock()
            .unwrap()
            .routes
            .entry(target.to_string())
            .or_default()
            .always = Some(answer);
    }

    /// Served once, before the route's other answers.
    pub(crate) fn first(&self, target: &str, answer: Answer) {
        self.state
            .lock()
            .unwrap()
            .routes
            .entry(target.to_string())
            .or_default()
            .first
            .push_back(answer);
    }

    /// The answer for requests with `Authorization: Bearer <token>`.
    pub(crate) fn with_token(&self, target: &str, token: &str, answer: Answer) {
        self.state
            .lock()
            .unwrap()
            .routes
            .entry(target.to_string())
            .or_default()
            .with_token = Some((token.to_string(), answer));
    }

    /// `items` served `per_page` at a time from `target` on, each page linking the next
    /// (`&page=N` added to the target, as GitHub's own links look).
    pub(crate) fn pages(&self, target: &str, items: &[Value], per_page: usize) {
        let chunks: Vec<&[Value]> = items.chunks(per_page).collect();
        let n = chunks.len().max(1);
        for i in 0..n {
            let page_target = if i == 0 {
                target.to_string()
            } else {
                format!("{target}&page={}", i + 1)
            };
            let mut answer = Answer::json(&Value::Array(
                chunks.get(i).map(|c| c.to_vec()).unwrap_or_default(),
            ));
            if i + 1 < n {
                answer = answer.header(
                    "Link",
                    &format!(
                        "<{}{target}&page={}>; rel=\"next\", <{}{target}&page={n}>; rel=\"last\"",
                        self.url,
                        i + 2,
                        self.url
                    ),
                );
            }
            self.route(&page_target, answer);
        }
    }

    pub(crate) fn page_target(target: &str, page: usize) -> String {
        if page == 1 {
            target.to_string()
        } else {
            format!("{target}&page={page}")
        }
    }

    /// Requests received: path and query, and the Authorization header.
    pub(crate) fn requests(&self) -> Vec<(String, Option<String>)> {
        self.state.lock().unwrap().requests.clone()
    }
}
