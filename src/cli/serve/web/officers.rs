//! Who may sign in to the web pages: officers from a file, each with the
//! roles of the token file and an argon2id hash of the password (never the
//! password itself).
//!
//! ```text
//! # officer   roles                     argon2id hash of the password
//! j.officer   packs,render,queue,cancel $argon2id$v=19$m=19456,t=2,p=1$...
//! ```
//!
//! `letterkit serve --new-officer ID --roles ROLES` reads a password from
//! standard input and prints the line.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use super::super::auth::{CredentialLine, Role, credential_lines};

/// One officer of the officers file.
#[derive(Debug, Clone)]
pub struct Officer {
    /// The officer's id (a staff number; names them in the audit log and the
    /// outbox history).
    pub id: String,
    /// What they may do.
    pub roles: Vec<Role>,
    hash: String,
}

impl Officer {
    /// Whether the officer has `role` (or `admin`).
    pub fn may(&self, role: Role) -> bool {
        self.roles.contains(&role) || self.roles.contains(&Role::Admin)
    }
}

/// The officers allowed to sign in.
#[derive(Debug, Clone, Default)]
pub struct Officers {
    officers: Vec<Officer>,
}

/// A hash of a random password, checked when the officer id is unknown so
/// that an unknown id takes as long as a wrong password.
fn dummy() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        let pw: String = random_salt()
            .map(|b| b.iter().map(|x| format!("{x:02x}")).collect())
            .unwrap_or_default();
        hash_password(&format!("dummy-{pw}")).unwrap_or_default()
    })
}

/// The least a password may be, in characters.
pub const MIN_PASSWORD: usize = 12;

fn random_salt() -> std::io::Result<[u8; 16]> {
    use std::io::Read as _;
    let mut b = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut b)?;
    Ok(b)
}

/// The argon2id hash (PHC string) of `password`, with a random salt.
///
/// # Errors
/// When random bytes cannot be read or hashing fails.
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = random_salt().map_err(|e| format!("cannot read random bytes: {e}"))?;
    argon2::Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash the password: {e}"))
}

impl Officers {
    /// Reads an officers file's text; every problem with its line.
    ///
    /// # Errors
    /// Every malformed line, as `FILE:LINE: message` (never a hash).
    pub fn parse(text: &str, origin: &str) -> Result<Officers, Vec<String>> {
        let mut officers: Vec<Officer> = Vec::new();
        let mut errors = Vec::new();
        let lines = credential_lines(
            text,
            origin,
            "officer",
            "officer id, roles (comma-separated), the argon2id hash of the password (letterkit serve --new-officer ID makes the line)",
            &mut errors,
        );
        for CredentialLine {
            at,
            id,
            roles,
            secret: hash,
        } in lines
        {
            if argon2::password_hash::phc::PasswordHash::new(hash).is_err()
                || !hash.starts_with("$argon2")
            {
                errors.push(format!(
                    "{at}: the password must be kept as an argon2 hash ($argon2id$...; letterkit serve --new-officer ID makes one), never as the password itself"
                ));
                continue;
            }
            officers.push(Officer {
                id,
                roles,
                hash: hash.to_owned(),
            });
        }
        if errors.is_empty() {
            Ok(Officers { officers })
        } else {
            Err(errors)
        }
    }

    /// How many officers there are.
    pub fn len(&self) -> usize {
        self.officers.len()
    }

    /// Whether `id` is an officer's id.
    pub fn knows(&self, id: &str) -> bool {
        self.officers.iter().any(|o| o.id == id)
    }

    /// The officer `id`, when `password` is theirs. An unknown id is checked
    /// against a dummy hash, so both take as long.
    pub fn sign_in(&self, id: &str, password: &str) -> Option<Officer> {
        let found = self.officers.iter().find(|o| o.id == id);
        let hash: &str = match found {
            Some(o) => &o.hash,
            None => dummy(),
        };
        let ok = argon2::Argon2::default()
            .verify_password(password.as_bytes(), hash)
            .is_ok();
        found.filter(|_| ok).cloned()
    }

    /// The officer `id` (for a session already signed in).
    pub fn get(&self, id: &str) -> Option<&Officer> {
        self.officers.iter().find(|o| o.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_officer_signs_in_with_their_password_only() {
        let line = format!(
            "# officers\nj.officer packs,queue {}\n",
            hash_password("correct horse battery").expect("hash")
        );
        let o = Officers::parse(&line, "officers").expect("valid");
        assert_eq!(
            o.sign_in("j.officer", "correct horse battery")
                .map(|o| o.id),
            Some("j.officer".to_owned())
        );
        assert!(o.sign_in("j.officer", "Correct horse battery").is_none());
        assert!(o.sign_in("someone", "correct horse battery").is_none());
        let me = o.get("j.officer").expect("known");
        assert!(me.may(Role::Packs) && !me.may(Role::Cancel));
    }

    #[test]
    fn mistakes_in_the_file_are_reported_by_line_without_the_hash() {
        let bad =
            "j.officer packs\nk.officer packs,rendr $argon2id$x\nl.officer packs secret-password\n";
        let e = Officers::parse(bad, "officers").expect_err("invalid");
        assert_eq!(
            e,
            vec![
                "officers:1: expected three columns: officer id, roles (comma-separated), the argon2id hash of the password (letterkit serve --new-officer ID makes the line)",
                "officers:2: unknown role; the roles are render, queue, cancel, packs, admin",
                "officers:2: the password must be kept as an argon2 hash ($argon2id$...; letterkit serve --new-officer ID makes one), never as the password itself",
                "officers:3: the password must be kept as an argon2 hash ($argon2id$...; letterkit serve --new-officer ID makes one), never as the password itself",
            ]
        );
    }
}
