//! Who may call the service: bearer tokens per client from a file, kept only
//! as SHA-256 hashes, each client with its roles; a per-client rate limit.
//!
//! The token file has one client a line, `#` comments and blank lines
//! ignored:
//!
//! ```text
//! # client   roles          SHA-256 of the token
//! billing    render,queue   sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
//! ```
//!
//! Tokens are long random strings made by `letterkit serve --new-token
//! CLIENT`, so one SHA-256 is enough (no salt or slow hash is needed for
//! 256 random bits). Comparison of hashes is in constant time.
//!
//! [`Caller`] is an axum extractor: any route that takes one is closed to a
//! request without a valid token (401), and [`Caller::require`] checks a
//! role (403). The officers' web pages (issue 14) can put their session
//! sign-in behind the same type.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};

use super::problem::Problem;
use super::{AppState, LogSlot};

/// What a client may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// `POST /v1/render`.
    Render,
    /// Queue letters in the outbox, read them, reissue them.
    Queue,
    /// Cancel queued letters.
    Cancel,
    /// Court packs.
    Packs,
    /// Everything, and `/metrics`.
    Admin,
}

impl Role {
    /// Every role, as written in the token file.
    pub const ALL: [(Role, &'static str); 5] = [
        (Role::Render, "render"),
        (Role::Queue, "queue"),
        (Role::Cancel, "cancel"),
        (Role::Packs, "packs"),
        (Role::Admin, "admin"),
    ];

    /// The name in the token file.
    pub fn name(self) -> &'static str {
        Role::ALL
            .iter()
            .find(|(r, _)| *r == self)
            .map_or("", |(_, n)| n)
    }

    fn parse(s: &str) -> Option<Role> {
        Role::ALL.iter().find(|(_, n)| *n == s).map(|(r, _)| *r)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One client of the token file.
#[derive(Debug, Clone)]
pub struct Client {
    /// Its id (names it in logs and in outbox history).
    pub id: String,
    /// Its roles.
    pub roles: Vec<Role>,
    hash: [u8; 32],
}

/// The clients allowed in.
#[derive(Debug, Clone, Default)]
pub struct Clients {
    clients: Vec<Client>,
}

/// SHA-256 of a token, as the token file keeps it.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// One line of a credentials file (the token file, the officers file):
/// `ID ROLES SECRET`.
pub struct CredentialLine<'a> {
    /// `FILE:LINE`, for messages.
    pub at: String,
    /// The id (checked: an officer id's characters, not listed before).
    pub id: String,
    /// The roles known (an unknown one is reported).
    pub roles: Vec<Role>,
    /// The third column, for the caller to check.
    pub secret: &'a str,
}

/// The lines of a credentials file: blank lines and `#` comments skipped,
/// each other line split into its three columns (`columns` says what they
/// are), the id checked and not listed twice, the roles read. Every problem
/// goes to `errors` as `FILE:LINE: message`; a line whose columns or id are
/// wrong is left out (one with an unknown role is kept, so its secret is
/// checked too).
pub fn credential_lines<'a>(
    text: &'a str,
    origin: &str,
    who: &str,
    columns: &str,
    errors: &mut Vec<String>,
) -> Vec<CredentialLine<'a>> {
    let mut out: Vec<CredentialLine<'a>> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = format!("{origin}:{}", n + 1);
        let parts: Vec<&str> = line.split_whitespace().collect();
        let [id, roles, secret] = parts[..] else {
            errors.push(format!("{at}: expected three columns: {columns}"));
            continue;
        };
        if let Err(m) = letterkit::outbox::check_officer(id) {
            errors.push(format!(
                "{at}: the {who} id {}",
                m.replace("an officer id is", "is")
            ));
            continue;
        }
        if out.iter().any(|c| c.id == id) {
            errors.push(format!("{at}: {who} `{id}` is listed twice"));
            continue;
        }
        let mut rs = Vec::new();
        for r in roles.split(',') {
            match Role::parse(r) {
                Some(r) => rs.push(r),
                None => errors.push(format!(
                    "{at}: unknown role; the roles are render, queue, cancel, packs, admin"
                )),
            }
        }
        out.push(CredentialLine {
            at,
            id: id.to_owned(),
            roles: rs,
            secret,
        });
    }
    out
}

impl Clients {
    /// Reads a token file's text; every problem with its line.
    ///
    /// # Errors
    /// Every malformed line, as `FILE:LINE: message`.
    pub fn parse(text: &str, origin: &str) -> Result<Clients, Vec<String>> {
        let mut clients: Vec<Client> = Vec::new();
        let mut errors = Vec::new();
        let lines = credential_lines(
            text,
            origin,
            "client",
            "client id, roles (comma-separated), sha256:HASH of the token",
            &mut errors,
        );
        for CredentialLine {
            at,
            id,
            roles: rs,
            secret: hash,
        } in lines
        {
            let Some(hash) = hash.strip_prefix("sha256:").and_then(unhex) else {
                errors.push(format!(
                    "{at}: the token must be kept as sha256: and 64 hex digits (letterkit serve --new-token CLIENT makes one), never as the token itself"
                ));
                continue;
            };
            clients.push(Client {
                id,
                roles: rs,
                hash,
            });
        }
        if errors.is_empty() {
            Ok(Clients { clients })
        } else {
            Err(errors)
        }
    }

    /// A client for `--insecure-local-dev`: every role, no token.
    pub fn local_dev() -> Client {
        Client {
            id: "local-dev".into(),
            roles: Role::ALL.iter().map(|(r, _)| *r).collect(),
            hash: [0; 32],
        }
    }

    /// The client whose token this is.
    pub fn find(&self, token: &str) -> Option<&Client> {
        let h: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        // Look at every client, comparing in constant time.
        let mut found = None;
        for c in &self.clients {
            let diff = c
                .hash
                .iter()
                .zip(h.iter())
                .fold(0u8, |a, (x, y)| a | (x ^ y));
            if diff == 0 {
                found = Some(c);
            }
        }
        found
    }

    /// How many clients there are.
    pub fn len(&self) -> usize {
        self.clients.len()
    }
}

/// A token bucket per client: `rate` requests a second, bursts of `rate`.
pub struct RateLimiter {
    rate: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    /// `rate` requests a second per client (0: no limit).
    pub fn new(rate: u32) -> RateLimiter {
        RateLimiter {
            rate: f64::from(rate),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `client`'s bucket, or says how long to wait.
    pub fn take(&self, client: &str) -> Result<(), Duration> {
        if self.rate <= 0.0 {
            return Ok(());
        }
        let now = Instant::now();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (tokens, at) = buckets.entry(client.to_owned()).or_insert((self.rate, now));
        let refill = now.duration_since(*at).as_secs_f64() * self.rate;
        *tokens = (*tokens + refill).min(self.rate);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *tokens) / self.rate))
        }
    }
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller(pub Client);

impl Caller {
    /// Refuses with 403 unless the caller has `role` (or `admin`).
    ///
    /// # Errors
    /// The 403 problem.
    pub fn require(&self, role: Role) -> Result<(), Problem> {
        if self.0.roles.contains(&role) || self.0.roles.contains(&Role::Admin) {
            Ok(())
        } else {
            Err(Problem::new(
                403,
                "forbidden",
                "Forbidden",
                format!(
                    "client {} does not have the role `{role}` this operation needs",
                    self.0.id
                ),
            ))
        }
    }

    /// Refuses with 403 unless the caller has one of `roles` (or `admin`).
    ///
    /// # Errors
    /// The 403 problem.
    pub fn require_any(&self, roles: &[Role]) -> Result<(), Problem> {
        if roles.iter().any(|r| self.require(*r).is_ok()) {
            return Ok(());
        }
        let names: Vec<&str> = roles.iter().map(|r| r.name()).collect();
        Err(Problem::new(
            403,
            "forbidden",
            "Forbidden",
            format!(
                "client {} needs one of the roles {} for this operation",
                self.0.id,
                names.join(", ")
            ),
        ))
    }
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Caller, Problem> {
        let client = if state.insecure_local_dev {
            Clients::local_dev()
        } else {
            let header = parts
                .headers
                .get(axum::http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok());
            let token = header.and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            });
            let Some(token) = token.map(str::trim).filter(|t| !t.is_empty()) else {
                return Err(Problem::unauthorized(
                    "this service needs a bearer token: send Authorization: Bearer TOKEN",
                ));
            };
            match state.clients.find(token) {
                Some(c) => c.clone(),
                None => {
                    return Err(Problem::unauthorized(
                        "the bearer token is not one this service knows",
                    ));
                }
            }
        };
        if let Some(slot) = parts.extensions.get::<LogSlot>() {
            slot.set_client(&client.id);
        }
        if let Err(wait) = state.limiter.take(&client.id) {
            let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
            return Err(Problem::new(
                429,
                "rate-limited",
                "Too Many Requests",
                format!(
                    "client {} has sent more than {} requests a second; try again in {secs} s",
                    client.id, state.rate_limit
                ),
            )
            .retry_after(secs));
        }
        Ok(Caller(client))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_file_is_read_and_its_mistakes_reported_by_line() {
        let good = format!(
            "# clients\nbilling render,queue sha256:{}\n",
            token_hash("secret")
        );
        let c = Clients::parse(&good, "tokens").expect("valid");
        assert_eq!(c.find("secret").map(|c| c.id.as_str()), Some("billing"));
        assert!(c.find("Secret").is_none());
        let bad = "billing render\nops rendr sha256:00\n";
        let e = Clients::parse(bad, "tokens").expect_err("invalid");
        assert_eq!(
            e,
            vec![
                "tokens:1: expected three columns: client id, roles (comma-separated), sha256:HASH of the token",
                "tokens:2: unknown role; the roles are render, queue, cancel, packs, admin",
                "tokens:2: the token must be kept as sha256: and 64 hex digits (letterkit serve --new-token CLIENT makes one), never as the token itself",
            ]
        );
    }

    #[test]
    fn the_bucket_refuses_past_its_rate_and_says_how_long_to_wait() {
        let l = RateLimiter::new(2);
        assert!(l.take("a").is_ok());
        assert!(l.take("a").is_ok());
        let wait = l.take("a").expect_err("third in the same instant");
        assert!(wait <= Duration::from_millis(500), "{wait:?}");
        assert!(l.take("b").is_ok(), "buckets are per client");
    }
}
