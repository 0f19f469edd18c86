//! Output files: written to a temporary file beside the target and renamed,
//! so a failed or interrupted write never leaves a half-written file.

use std::fs;
use std::path::{Path, PathBuf};

/// The temporary name used while writing `path` (`.name.tmp-<pid>`).
pub fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "out".into());
    static PID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    let pid = *PID.get_or_init(std::process::id);
    path.with_file_name(format!(".{name}.tmp-{pid}"))
}

/// The temporary name a batch worker writes output `path` of request `seq`
/// to before the main thread renames it (`.name.tmp-<pid>-<seq>`).
pub fn temp_path_for(path: &Path, seq: u64) -> PathBuf {
    let mut p = temp_path(path).into_os_string();
    p.push(format!("-{seq}"));
    PathBuf::from(p)
}

pub use crate::files::{write_atomic, write_atomic_with};

/// Removes temporary files a killed run left in `dir` (`.*.tmp-<pid>`).
pub fn remove_stale_temps(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with('.') && name.contains(".tmp-") {
            let _ = fs::remove_file(e.path());
        }
    }
}
