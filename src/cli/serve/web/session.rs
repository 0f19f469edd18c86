//! Sessions of the web pages: a random id in an `HttpOnly`,
//! `SameSite=Strict` cookie (and `Secure` behind TLS), kept in memory with
//! the officer, a CSRF token and the officer's letter drafts. A session ends
//! at sign-out, after [`IDLE`] without a request, or [`LIFETIME`] after
//! sign-in; a restart signs everyone out.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The session cookie's name.
pub const COOKIE: &str = "letterkit_session";

/// A session ends after this long without a request.
pub const IDLE: Duration = Duration::from_secs(2 * 60 * 60);

/// A session ends this long after it began, whatever happens.
pub const LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);

/// Most sessions kept at once (the oldest go first).
pub const MAX_SESSIONS: usize = 10_000;

/// Most letter drafts a session keeps (the oldest go first).
pub const MAX_DRAFTS: usize = 10;

/// `n` random bytes as hex.
///
/// # Errors
/// When the operating system's random source cannot be read.
pub fn random_hex(n: usize) -> std::io::Result<String> {
    use std::io::Read as _;
    let mut b = vec![0u8; n];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut b)?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// A letter rendered from the letter form, kept until queued or the
/// session ends (it holds personal data, so it is never written to disk).
#[derive(Debug, Clone)]
pub struct Draft {
    /// A random id (the only thing in its URLs).
    pub id: String,
    /// The letter code.
    pub code: String,
    /// The form as sent (to change the answers).
    pub form: Vec<(String, String)>,
    /// The request as JSON (queued through `Engine::request_from_value`).
    pub request: serde_json::Value,
    /// The PDF.
    pub pdf: Vec<u8>,
    /// Its pages.
    pub pages: usize,
    /// Its outbox id once queued.
    pub queued: Option<String>,
    /// The composed letter, for the HTML preview.
    pub preview: serde_json::Value,
}

/// One session.
#[derive(Debug, Clone)]
pub struct Session {
    /// The officer signed in (None: the sign-in page's session).
    pub officer: Option<String>,
    /// The CSRF token every form of the session carries.
    pub csrf: String,
    /// A message for the next page (a GOV.UK notification banner).
    pub flash: Option<String>,
    /// Letter drafts, oldest first.
    pub drafts: Vec<Draft>,
    began: Instant,
    seen: Instant,
}

/// Every session, by id.
#[derive(Default)]
pub struct Sessions {
    by_id: HashMap<String, Session>,
}

impl Sessions {
    /// A new session (for `officer`, or anonymous for the sign-in form);
    /// returns its id.
    ///
    /// # Errors
    /// When random bytes cannot be read.
    pub fn start(&mut self, officer: Option<String>) -> std::io::Result<String> {
        self.sweep();
        if self.by_id.len() >= MAX_SESSIONS
            && let Some(oldest) = self
                .by_id
                .iter()
                .min_by_key(|(_, s)| s.seen)
                .map(|(k, _)| k.clone())
        {
            self.by_id.remove(&oldest);
        }
        let id = random_hex(32)?;
        let now = Instant::now();
        self.by_id.insert(
            id.clone(),
            Session {
                officer,
                csrf: random_hex(32)?,
                flash: None,
                drafts: Vec::new(),
                began: now,
                seen: now,
            },
        );
        Ok(id)
    }

    fn sweep(&mut self) {
        let now = Instant::now();
        self.by_id
            .retain(|_, s| now - s.seen < IDLE && now - s.began < LIFETIME);
    }

    /// The live session `id`, marked as seen now.
    pub fn get(&mut self, id: &str) -> Option<&mut Session> {
        let now = Instant::now();
        let live = self
            .by_id
            .get(id)
            .is_some_and(|s| now - s.seen < IDLE && now - s.began < LIFETIME);
        if !live {
            self.by_id.remove(id);
            return None;
        }
        let s = self.by_id.get_mut(id)?;
        s.seen = now;
        Some(s)
    }

    /// Ends the session `id`.
    pub fn end(&mut self, id: &str) {
        self.by_id.remove(id);
    }
}

/// Whether two tokens are equal, compared in constant time.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The session id in a `Cookie` header.
pub fn from_cookie(header: &str) -> Option<&str> {
    header.split(';').find_map(|c| {
        let (k, v) = c.trim().split_once('=')?;
        (k == COOKIE && !v.is_empty() && v.len() <= 128).then_some(v)
    })
}

/// The `Set-Cookie` value of session `id`.
pub fn cookie(id: &str, secure: bool) -> String {
    format!(
        "{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        LIFETIME.as_secs(),
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie(secure: bool) -> String {
    format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_has_its_own_csrf_token_and_ends_at_sign_out() {
        let mut s = Sessions::default();
        let a = s.start(Some("j.officer".into())).expect("random");
        let b = s.start(None).expect("random");
        assert_ne!(a, b);
        let ta = s.get(&a).expect("live").csrf.clone();
        let tb = s.get(&b).expect("live").csrf.clone();
        assert_eq!(ta.len(), 64);
        assert!(!same_token(&ta, &tb));
        assert!(same_token(&ta, &ta.clone()));
        s.end(&a);
        assert!(s.get(&a).is_none());
        assert_eq!(
            from_cookie(&format!("x=1; {COOKIE}={b}; y=2")),
            Some(b.as_str())
        );
        assert_eq!(
            cookie("abc", true),
            "letterkit_session=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200; Secure"
        );
    }
}
