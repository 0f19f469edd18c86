//! Packs kept in one folder, one zip a pack (`NAME.zip`), each change made
//! under the operating-system lock of that pack and written atomically: the
//! way `letterkit serve` (and later the officers' web pages) keep packs.
//!
//! The steps themselves are the library's ([`Pack::create`],
//! [`Pack::apply`]), so a step over HTTP is checked exactly as `letterkit
//! pack step` checks it. Packs here are not encrypted; with an office key
//! every write is signed and a pack whose manifest was edited is refused.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use super::{Pack, PackError, PackKind, Signature, Step};
use crate::Engine;
use crate::files::{self, Lock};

/// What went wrong with a pack in a folder (no personal data).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FolderError {
    /// The name cannot name a pack file.
    #[error(
        "a pack name is 1 to 64 lower-case letters, digits, `-` and `_`, starting with a letter or digit (e.g. sr-1234567)"
    )]
    BadName,
    /// No pack has this name.
    #[error("there is no pack with this name")]
    NotFound,
    /// A pack of this name exists already.
    #[error(
        "a pack with this name exists already; a pack is created once, then moved on step by step"
    )]
    Exists,
    /// Another command or request holds the pack.
    #[error("the pack is in use by another request; try again when it has finished")]
    Busy,
    /// The pack is signed and no office key is configured to check it.
    #[error(
        "the pack is signed, but no office key is configured, so its manifest cannot be checked"
    )]
    NotChecked,
    /// The step or the pack was refused.
    #[error(transparent)]
    Pack(#[from] PackError),
    /// The folder could not be read or written.
    #[error("the packs folder could not be used: {0}")]
    Io(String),
}

/// A folder of packs.
#[derive(Debug, Clone)]
pub struct PackFolder {
    dir: PathBuf,
    key: Option<Vec<u8>>,
}

/// Whether `name` may name a pack in a folder.
pub fn is_pack_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && name.as_bytes()[0].is_ascii_alphanumeric()
}

impl PackFolder {
    /// The packs in `dir`, signed with `key` when one is given.
    pub fn new(dir: &Path, key: Option<Vec<u8>>) -> PackFolder {
        PackFolder {
            dir: dir.to_path_buf(),
            key,
        }
    }

    /// Whether writes are signed.
    pub fn signs(&self) -> bool {
        self.key.is_some()
    }

    fn path(&self, name: &str) -> Result<PathBuf, FolderError> {
        if is_pack_name(name) {
            Ok(self.dir.join(format!("{name}.zip")))
        } else {
            Err(FolderError::BadName)
        }
    }

    fn lock(&self, name: &str, path: &Path) -> Result<Lock, FolderError> {
        let lock = Lock::try_new(&self.dir.join(format!(".{name}.zip.lock")), path).map_err(
            |e| match e {
                files::LockError::Busy { .. } => FolderError::Busy,
                other => FolderError::Io(other.to_string()),
            },
        )?;
        files::remove_stale_temps(&self.dir, Some(&format!("{name}.zip")));
        Ok(lock)
    }

    fn write(&self, path: &Path, pack: &Pack) -> Result<(), FolderError> {
        let mut failed = None;
        let io = files::write_atomic_with(path, |f| {
            pack.write_signed(&mut *f, None, self.key.as_deref())
                .map(|_| ())
                .map_err(|e| {
                    let m = e.to_string();
                    failed = Some(e);
                    std::io::Error::other(m)
                })
        });
        if let Some(e) = failed {
            return Err(e.into());
        }
        io.map_err(|e| FolderError::Io(e.kind().to_string()))
    }

    /// The bytes of the pack `name`.
    ///
    /// # Errors
    /// [`FolderError::NotFound`], [`FolderError::BadName`], or the folder's.
    pub fn bytes(&self, name: &str) -> Result<Vec<u8>, FolderError> {
        let path = self.path(name)?;
        std::fs::read(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                FolderError::NotFound
            } else {
                FolderError::Io(e.kind().to_string())
            }
        })
    }

    /// The pack `name` and its signature.
    ///
    /// # Errors
    /// As [`PackFolder::bytes`]; [`FolderError::Pack`] when it cannot be read.
    pub fn read(&self, name: &str) -> Result<(Pack, Signature), FolderError> {
        let pack = Pack::read(Cursor::new(self.bytes(name)?), None)?;
        let s = pack.signature(self.key.as_deref());
        Ok((pack, s))
    }

    /// Creates the pack `name` with its first step.
    ///
    /// # Errors
    /// [`FolderError::Exists`], [`FolderError::Busy`], the step's refusal.
    pub fn create(
        &self,
        name: &str,
        engine: &Engine,
        kind: PackKind,
        step: &Step<'_>,
    ) -> Result<Pack, FolderError> {
        let path = self.path(name)?;
        let _lock = self.lock(name, &path)?;
        if path.exists() {
            return Err(FolderError::Exists);
        }
        let pack = Pack::create(engine, kind, step)?;
        self.write(&path, &pack)?;
        Ok(pack)
    }

    /// Takes the next step of the pack `name`, under its lock. A pack whose
    /// signature does not match is refused, and so is a signed pack when no
    /// key is configured.
    ///
    /// # Errors
    /// [`FolderError::NotFound`], [`FolderError::Busy`], the step's refusal.
    pub fn step(&self, name: &str, engine: &Engine, step: &Step<'_>) -> Result<Pack, FolderError> {
        let path = self.path(name)?;
        let _lock = self.lock(name, &path)?;
        let (mut pack, signature) = self.read(name)?;
        match signature {
            Signature::Invalid => return Err(PackError::BadSignature.into()),
            Signature::NotChecked => return Err(FolderError::NotChecked),
            Signature::Valid | Signature::Unsigned => {}
        }
        pack.apply(engine, step)?;
        self.write(&path, &pack)?;
        Ok(pack)
    }
}
