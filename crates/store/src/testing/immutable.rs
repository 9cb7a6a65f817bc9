//! Unwritable files for fault tests: made immutable with `chattr +i`, which
//! stops even root from writing them (file permissions do not), for as long
//! as the guard lives.

use std::path::PathBuf;
use std::process::Command;

/// Files made immutable for as long as the guard lives.
pub struct Immutable(Vec<PathBuf>);

impl Immutable {
    /// Makes every one of `paths` that exists immutable; panics, saying what
    /// the test needs, when `chattr +i` cannot (not root, or a file system
    /// without the immutable attribute).
    pub fn set(paths: &[PathBuf]) -> Immutable {
        let paths: Vec<PathBuf> = paths.iter().filter(|p| p.exists()).cloned().collect();
        for path in &paths {
            let status = Command::new("chattr").arg("+i").arg(path).status();
            assert!(
                matches!(status, Ok(s) if s.success()),
                "this test needs `chattr +i` (root, on a file system with the immutable \
                 attribute such as ext4) to make {} unwritable: {status:?}",
                path.display()
            );
        }
        Immutable(paths)
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        for path in &self.0 {
            let _ = Command::new("chattr").arg("-i").arg(path).status();
        }
    }
}
