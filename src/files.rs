//! Files: the one place where letterkit writes and locks files safely.
//!
//! - New files are written to a temporary file with a random name, created
//!   exclusively (`O_EXCL`, so a planted symlink is never followed) in the
//!   target's folder, flushed to disk, then renamed over the target.
//! - [`write_new`] refuses to replace an existing file; [`write_atomic`]
//!   replaces it (for files letterkit owns, such as a run manifest).
//! - A batch's letters are written by its workers and named by its main
//!   thread in input order: `Pending`, an unnamed file where the system has
//!   them (Linux), linked under its name, so no temporary name is made.
//! - [`Lock`] is an operating-system lock on a lock file: it dies with the
//!   process, so a killed command never leaves a lock that refuses the next
//!   one. While a command holds the lock it cleans the temporary files a
//!   killed command left ([`remove_stale_temps`]).
//!
//! Temporary files are named `.<target>.<random>.tmp`.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The suffix of every temporary file letterkit creates.
pub(crate) const TEMP_SUFFIX: &str = ".tmp";

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into())
}

/// A new, exclusively created temporary file beside `target`
/// (`.<target name>.<random>.tmp`). It is removed when dropped unless
/// persisted.
///
/// # Errors
/// When the folder cannot be written.
pub(crate) fn temp_beside(target: &Path) -> io::Result<tempfile::NamedTempFile> {
    let prefix = format!(".{}.", file_name(target));
    let mut b = tempfile::Builder::new();
    b.prefix(&prefix).suffix(TEMP_SUFFIX).rand_bytes(8);
    // The file becomes the user's output: the permissions a plain
    // `File::create` gives (0666 less the umask), not a temp file's 0600.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        b.permissions(fs::Permissions::from_mode(0o666));
    }
    b.tempfile_in(parent_of(target))
}

/// Whether `name` is the name of a temporary file letterkit made (this
/// version's `.<name>.<random>.tmp`, or earlier versions' `.<name>.tmp-<pid>`).
pub fn is_temp_name(name: &str) -> bool {
    name.starts_with('.') && (name.ends_with(TEMP_SUFFIX) || name.contains(".tmp-"))
}

/// Writes a temp file beside `target`, creating the folder if need be.
fn write_temp(
    target: &Path,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<tempfile::NamedTempFile> {
    fs::create_dir_all(parent_of(target))?;
    let mut tmp = temp_beside(target)?;
    write(tmp.as_file_mut())?;
    tmp.as_file_mut().flush()?;
    tmp.as_file().sync_all()?;
    Ok(tmp)
}

/// Writes `bytes` to `path`, replacing it if it exists, atomically: a failed
/// or interrupted write leaves the old file (or none) and no temporary file.
///
/// # Errors
/// When the folder cannot be written or the disk is full.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic_with(path, |f| f.write_all(bytes))
}

/// Like [`write_atomic`], with a writer callback.
///
/// # Errors
/// What the callback returns, or an I/O error writing or renaming.
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    let tmp = write_temp(path, write)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Writes `bytes` to a new file `path` atomically; refuses (with
/// [`io::ErrorKind::AlreadyExists`]) when `path` exists, even if another
/// process creates it meanwhile.
///
/// # Errors
/// `AlreadyExists`, or an I/O error writing.
pub fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_new_with(path, |f| f.write_all(bytes))
}

/// Like [`write_new`], with a writer callback.
///
/// # Errors
/// `AlreadyExists`, what the callback returns, or an I/O error.
pub(crate) fn write_new_with(
    path: &Path,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    if fs::symlink_metadata(path).is_ok() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "the file exists",
        ));
    }
    let tmp = write_temp(path, write)?;
    tmp.persist_noclobber(path).map_err(|e| e.error)?;
    Ok(())
}

/// A file written but not yet in place: a batch worker writes a letter's
/// bytes, and the main thread puts them under their name in input order
/// ([`Pending::persist`]).
///
/// On Linux the bytes go to an unnamed file in the target's folder
/// (`O_TMPFILE`), which gets its name with one `linkat`: no temporary name
/// is made and renamed, so the folder's entries change once per letter
/// instead of three times, and a killed run leaves nothing behind. Where the
/// folder's file system has no unnamed files, or `/proc` is not mounted
/// (see [`unnamed_files_work`]), it is a named temporary file renamed into
/// place.
#[derive(Debug)]
pub(crate) enum Pending {
    /// A `.<target>.<random>.tmp` file.
    Named(tempfile::TempPath),
    /// An unnamed file, open.
    #[cfg(target_os = "linux")]
    Unnamed(File),
}

impl Pending {
    /// Writes `bytes` to a new pending file for `target`, unnamed when
    /// `unnamed` (the caller's [`unnamed_files_work`] for the folder).
    ///
    /// # Errors
    /// When the folder cannot be written or the disk is full.
    pub(crate) fn write(target: &Path, bytes: &[u8], unnamed: bool) -> io::Result<Pending> {
        // Should no unnamed file open (too many open files, say), a named
        // one does the same job.
        #[cfg(target_os = "linux")]
        if unnamed && let Ok(mut f) = open_unnamed(parent_of(target)) {
            f.write_all(bytes)?;
            return Ok(Pending::Unnamed(f));
        }
        let _ = unnamed;
        let mut f = temp_beside(target)?;
        f.write_all(bytes)?;
        Ok(Pending::Named(f.into_temp_path()))
    }

    /// Gives the file its name `target`. Refuses with
    /// [`io::ErrorKind::AlreadyExists`] when `target` exists, unless
    /// `replace`, which replaces it atomically.
    ///
    /// # Errors
    /// `AlreadyExists`, or an I/O error naming or renaming.
    pub(crate) fn persist(self, target: &Path, replace: bool) -> io::Result<()> {
        match self {
            Pending::Named(t) if replace => t.persist(target).map_err(|e| e.error),
            Pending::Named(t) => t.persist_noclobber(target).map_err(|e| e.error),
            #[cfg(target_os = "linux")]
            Pending::Unnamed(f) => match link_unnamed(&f, target) {
                Err(e) if replace && e.kind() == io::ErrorKind::AlreadyExists => {
                    // A name of its own first, then renamed over the target.
                    let temp = temp_name_beside(target);
                    link_unnamed(&f, &temp)?;
                    fs::rename(&temp, target).inspect_err(|_| {
                        let _ = fs::remove_file(&temp);
                    })
                }
                other => other,
            },
        }
    }
}

/// A fresh `.<target>.<random>.tmp` path beside `target` (not created).
#[cfg(target_os = "linux")]
fn temp_name_beside(target: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    parent_of(target).join(format!(
        ".{}.{}-{n}{TEMP_SUFFIX}",
        file_name(target),
        std::process::id()
    ))
}

/// An unnamed file in `dir`, open for writing, with the permissions a plain
/// `File::create` gives.
#[cfg(target_os = "linux")]
fn open_unnamed(dir: &Path) -> io::Result<File> {
    use rustix::fs::{Mode, OFlags};
    let fd = rustix::fs::open(
        dir,
        OFlags::TMPFILE | OFlags::WRONLY | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o666),
    )?;
    Ok(File::from(fd))
}

/// Gives the unnamed file `f` the name `target` (fails if it exists).
#[cfg(target_os = "linux")]
fn link_unnamed(f: &File, target: &Path) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let proc_path = format!("/proc/self/fd/{}", f.as_raw_fd());
    rustix::fs::linkat(
        rustix::fs::CWD,
        proc_path.as_str(),
        rustix::fs::CWD,
        target,
        rustix::fs::AtFlags::SYMLINK_FOLLOW,
    )?;
    Ok(())
}

/// Whether [`Pending`] can use unnamed files in `dir`: tried once, with a
/// file named like a temporary one (removed at once, or by the next
/// command's [`remove_stale_temps`] if this one is killed in between).
pub(crate) fn unnamed_files_work(dir: &Path) -> bool {
    #[cfg(target_os = "linux")]
    {
        let probe = temp_name_beside(&dir.join("probe"));
        let ok = open_unnamed(dir)
            .and_then(|f| link_unnamed(&f, &probe))
            .is_ok();
        let _ = fs::remove_file(&probe);
        ok
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = dir;
        false
    }
}

/// Removes the temporary files that killed commands left in `dir`: every
/// [`is_temp_name`] file, or only those for target `only` when given. Call
/// it only while holding the [`Lock`] that guards `dir` (or the target), so
/// that no live command's file is removed. Returns how many were removed.
pub fn remove_stale_temps(dir: &Path, only: Option<&str>) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let prefix = only.map(|n| format!(".{n}."));
    let mut removed = 0;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let ours = match &prefix {
            Some(p) => name.starts_with(p.as_str()) && is_temp_name(&name),
            None => is_temp_name(&name),
        };
        if ours && e.file_type().is_ok_and(|t| t.is_file()) && fs::remove_file(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Whether two paths name the same existing file (in any spelling: `./a`,
/// `../x/a`, a symlink).
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Why a lock could not be taken.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LockError {
    /// Another running command holds it.
    #[error("{} is in use by another letterkit command; wait for it to finish", .what.display())]
    Busy {
        /// What the lock guards (the pack file, the output folder).
        what: PathBuf,
    },
    /// The lock file cannot be created or locked.
    #[error("cannot lock {}: {source}", .what.display())]
    Io {
        /// What the lock guards.
        what: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
}

/// An exclusive operating-system lock, released when dropped or when the
/// process ends however it ends. The lock file is removed when the lock is
/// dropped; one a killed command left is harmless (nothing holds it) and is
/// taken and removed by the next command.
#[derive(Debug)]
pub struct Lock {
    file: Option<File>,
    path: PathBuf,
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Removed while still held: a command that opened the old file
        // meanwhile finds, once it holds the lock, that the path no longer
        // names it, and starts again (see `try_new`).
        let _ = fs::remove_file(&self.path);
        drop(self.file.take());
    }
}

/// Whether the open `file` is still the file at `path`.
fn still_at(file: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), fs::metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (file, path);
        true
    }
}

impl Lock {
    /// Takes the lock on the lock file `lock_file` (created if missing),
    /// guarding `what` (named in messages). Never waits: a lock held by a
    /// live command is refused with [`LockError::Busy`].
    ///
    /// # Errors
    /// [`LockError::Busy`] when held, [`LockError::Io`] when the lock file
    /// cannot be made.
    pub fn try_new(lock_file: &Path, what: &Path) -> Result<Lock, LockError> {
        let io = |source| LockError::Io {
            what: what.to_path_buf(),
            source,
        };
        for _ in 0..10 {
            let file = fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(lock_file)
                .map_err(io)?;
            match file.try_lock() {
                Ok(()) if still_at(&file, lock_file) => {
                    return Ok(Lock {
                        file: Some(file),
                        path: lock_file.to_path_buf(),
                    });
                }
                Ok(()) => continue, // the holder removed it as we opened it
                Err(fs::TryLockError::WouldBlock) => {
                    return Err(LockError::Busy {
                        what: what.to_path_buf(),
                    });
                }
                Err(fs::TryLockError::Error(e)) => return Err(io(e)),
            }
        }
        Err(LockError::Busy {
            what: what.to_path_buf(),
        })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names in `dir`, sorted.
    fn names(dir: &Path) -> Vec<String> {
        let mut n: Vec<String> = fs::read_dir(dir)
            .expect("ls")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        n.sort();
        n
    }

    #[test]
    fn a_pending_file_gets_its_name_and_never_takes_another_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Linux (where the tests run in CI) has unnamed files on its usual
        // file systems; elsewhere both runs below take the named way.
        #[cfg(target_os = "linux")]
        assert!(
            unnamed_files_work(dir.path()),
            "O_TMPFILE and linkat work here"
        );
        assert_eq!(
            names(dir.path()),
            Vec::<String>::new(),
            "the probe left nothing"
        );
        for unnamed in [true, false] {
            let a = dir.path().join(format!("a-{unnamed}.pdf"));
            let p = Pending::write(&a, b"first", unnamed).expect("write");
            #[cfg(target_os = "linux")]
            assert_eq!(matches!(p, Pending::Unnamed(_)), unnamed);
            p.persist(&a, false).expect("named");
            assert_eq!(fs::read(&a).expect("read"), b"first");

            // The name is taken: refused, the file untouched, nothing left.
            let again = Pending::write(&a, b"second", unnamed).expect("write");
            let e = again.persist(&a, false).expect_err("refused");
            assert_eq!(e.kind(), io::ErrorKind::AlreadyExists, "{e}");
            assert_eq!(fs::read(&a).expect("read"), b"first");

            // Replacing (a resumed run's own leftover) replaces it whole.
            let third = Pending::write(&a, b"third", unnamed).expect("write");
            third.persist(&a, true).expect("replaced");
            assert_eq!(fs::read(&a).expect("read"), b"third");
        }
        assert_eq!(
            names(dir.path()),
            ["a-false.pdf", "a-true.pdf"],
            "no temp file left"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn an_unnamed_file_never_named_leaves_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = Pending::write(&dir.path().join("a.pdf"), b"bytes", true).expect("write");
        assert!(matches!(p, Pending::Unnamed(_)));
        // What a run stopped before putting a letter in place does.
        drop(p);
        assert_eq!(names(dir.path()), Vec::<String>::new());
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temp() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("a.pdf");
        write_atomic(&p, b"old").expect("write");
        let r = write_atomic_with(&p, |f| {
            f.write_all(b"half")?;
            Err(io::Error::other("disk full"))
        });
        assert!(r.is_err());
        assert_eq!(fs::read(&p).expect("read"), b"old");
        let left: Vec<_> = fs::read_dir(dir.path()).expect("ls").collect();
        assert_eq!(left.len(), 1, "no temp file left behind");
    }

    #[cfg(unix)]
    #[test]
    fn outputs_get_the_permissions_of_a_plain_create() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let plain = dir.path().join("plain");
        fs::File::create(&plain).expect("create");
        let ours = dir.path().join("ours.pdf");
        write_new(&ours, b"x").expect("write");
        let mode = |p: &Path| fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&ours), mode(&plain));
        // A batch letter's pending file, unnamed or named, the same.
        for unnamed in [true, false] {
            let a = dir.path().join(format!("a-{unnamed}.pdf"));
            Pending::write(&a, b"x", unnamed)
                .and_then(|p| p.persist(&a, false))
                .expect("write");
            assert_eq!(mode(&a), mode(&plain), "unnamed: {unnamed}");
        }
    }

    #[test]
    fn write_new_refuses_an_existing_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("a.pdf");
        write_new(&p, b"first").expect("write");
        let e = write_new(&p, b"second").expect_err("exists");
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&p).expect("read"), b"first");
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_symlink_is_never_followed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let victim = dir.path().join("victim.txt");
        fs::write(&victim, b"keep me").expect("victim");
        let target = dir.path().join("a.pdf");
        // The names earlier versions used, planted in advance.
        for pid in [std::process::id(), 1, 2] {
            let _ =
                std::os::unix::fs::symlink(&victim, dir.path().join(format!(".a.pdf.tmp-{pid}")));
        }
        write_atomic(&target, b"letter").expect("write");
        assert_eq!(fs::read(&victim).expect("read"), b"keep me");
        assert_eq!(fs::read(&target).expect("read"), b"letter");
        // A symlink at the target itself is replaced, never written through.
        let link = dir.path().join("b.pdf");
        std::os::unix::fs::symlink(&victim, &link).expect("link");
        assert_eq!(
            write_new(&link, b"x").expect_err("exists").kind(),
            io::ErrorKind::AlreadyExists
        );
        assert_eq!(fs::read(&victim).expect("read"), b"keep me");
    }

    #[test]
    fn a_lock_is_refused_while_held_and_free_after_drop() {
        let dir = tempfile::tempdir().expect("tempdir");
        let lf = dir.path().join(".out.lock");
        let first = Lock::try_new(&lf, dir.path()).expect("first");
        let second = Lock::try_new(&lf, dir.path()).expect_err("held");
        assert!(matches!(second, LockError::Busy { .. }), "{second}");
        drop(first);
        assert!(!lf.exists(), "the lock file goes with the lock");
        // One a killed command left behind is taken at once.
        fs::write(&lf, b"").expect("plant");
        let third = Lock::try_new(&lf, dir.path()).expect("free again");
        drop(third);
        assert!(!lf.exists());
    }

    #[test]
    fn stale_temps_are_removed_only_for_the_target_asked() {
        let dir = tempfile::tempdir().expect("tempdir");
        for n in [
            ".a.zip.x1.tmp",
            ".a.zip.tmp-99",
            ".b.zip.y.tmp",
            "a.zip",
            ".hidden",
        ] {
            fs::write(dir.path().join(n), b"").expect("plant");
        }
        assert_eq!(remove_stale_temps(dir.path(), Some("a.zip")), 2);
        let mut left: Vec<String> = fs::read_dir(dir.path())
            .expect("ls")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [".b.zip.y.tmp", ".hidden", "a.zip"]);
    }
}
