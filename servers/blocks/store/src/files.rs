//! Private files and directories: the data directory, the database files,
//! keys and tokens.
//!
//! Everything OMEGA keeps on disk is readable by its own user only:
//!
//! - directories are created with mode `0700` ([`DIR_MODE`]); an existing
//!   directory that grants anything to group or others is **tightened** to
//!   `0700` (a warning is logged), and when that is impossible (another user
//!   owns it) the call fails naming the directory, its mode and the fix;
//! - files are created with mode `0600` ([`FILE_MODE`]) by the `open(2)`
//!   that creates them, so there is no moment at which a wider mode exists;
//!   an existing file that grants anything to group or others is tightened
//!   to `0600` before it is used;
//! - keys and tokens are written to a temporary `0600` file in the same
//!   directory, fsynced, then renamed (or linked) into place and the
//!   directory fsynced, so a crash leaves either no file or the whole file,
//!   never a partial key.
//!
//! Every error is returned; none is ignored. On platforms without Unix
//! permissions the same functions create the files without setting a mode.

use std::fs::{File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Mode of every directory OMEGA creates for its data.
pub const DIR_MODE: u32 = 0o700;
/// Mode of every file OMEGA creates in its data directory.
pub const FILE_MODE: u32 = 0o600;

/// Permission bits for group and others: none may be set.
#[cfg(unix)]
const WIDE: u32 = 0o077;

/// Creates `dir` (and any missing parent) with mode `0700`. An existing
/// directory whose mode grants group or others any access is tightened to
/// `0700`; when it cannot be (it belongs to another user), fails with an
/// error that names the directory, its mode and what to do.
pub fn ensure_private_dir(dir: &Path) -> io::Result<()> {
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => tighten_dir(dir, &meta),
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} exists and is not a directory", dir.display()),
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt as _;
                builder.mode(DIR_MODE);
            }
            builder
                .create(dir)
                .map_err(|e| context(e, format!("creating directory {}", dir.display())))?;
            // mkdir(2) with 0700 cannot grant more, whatever the umask; the
            // check tightens a directory another process created meanwhile.
            let meta = std::fs::metadata(dir)
                .map_err(|e| context(e, format!("reading {}", dir.display())))?;
            tighten_dir(dir, &meta)
        }
        Err(e) => Err(context(e, format!("reading {}", dir.display()))),
    }
}

#[cfg(unix)]
fn tighten_dir(dir: &Path, meta: &std::fs::Metadata) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & WIDE == 0 {
        return Ok(());
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIR_MODE)).map_err(|e| {
        context(
            e,
            format!(
                "data directory {} has mode {mode:04o} and could not be restricted to {DIR_MODE:04o} \
                 (is it owned by another user?); run `chmod 700 {}` as its owner or choose another \
                 data directory",
                dir.display(),
                dir.display()
            ),
        )
    })?;
    tracing::warn!(
        dir = %dir.display(),
        was = format_args!("{mode:04o}"),
        now = format_args!("{DIR_MODE:04o}"),
        "data directory was open to other users; restricted it to its owner"
    );
    Ok(())
}

#[cfg(not(unix))]
fn tighten_dir(_dir: &Path, _meta: &std::fs::Metadata) -> io::Result<()> {
    Ok(())
}

/// Opens `path` for reading and writing, creating it with mode `0600` when
/// it does not exist (never truncating it). An existing file that grants
/// group or others any access is tightened to `0600` before it is returned.
///
/// The database files are opened with this first, so redb's own
/// `Database::create` (which opens with the default mode) finds a `0600`
/// file, empty or already a database, and never creates one.
pub fn open_private_file(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    private_mode(&mut options);
    let file = options
        .open(path)
        .map_err(|e| context(e, format!("opening {}", path.display())))?;
    tighten_file(&file, path)?;
    Ok(file)
}

/// Reads the whole file at `path`, or `None` when it does not exist. A file
/// that grants group or others any access is tightened to `0600` first.
pub fn read_private_file(path: &Path) -> io::Result<Option<Vec<u8>>> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(context(e, format!("opening {}", path.display()))),
    };
    tighten_file(&file, path)?;
    let mut bytes = Vec::new();
    io::Read::read_to_end(&mut file, &mut bytes)
        .map_err(|e| context(e, format!("reading {}", path.display())))?;
    Ok(Some(bytes))
}

/// Writes `contents` to `path` atomically with mode `0600`, replacing any
/// previous file: a temporary `0600` file in the same directory is written
/// and fsynced, renamed over `path`, and the directory is fsynced.
pub fn write_private_atomic(path: &Path, contents: &[u8]) -> io::Result<()> {
    let tmp = write_temp(path, contents)?;
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp); // the rename's error is the one to report
        return Err(context(
            e,
            format!("renaming {} into place", path.display()),
        ));
    }
    sync_parent(path)
}

/// Like [`write_private_atomic`] but never replaces an existing file:
/// returns `Ok(false)`, leaving the file as it is, when `path` already
/// exists (also when another process created it a moment ago), and
/// `Ok(true)` when this call created it. The file is published with a hard
/// link, which fails when the name is taken; on a file system without hard
/// links it is renamed into place after checking that the name is free.
pub fn create_private_atomic(path: &Path, contents: &[u8]) -> io::Result<bool> {
    let tmp = write_temp(path, contents)?;
    let linked = std::fs::hard_link(&tmp, path);
    let created = match linked {
        Ok(()) => {
            std::fs::remove_file(&tmp)
                .map_err(|e| context(e, format!("removing {}", tmp.display())))?;
            true
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            std::fs::remove_file(&tmp)
                .map_err(|e| context(e, format!("removing {}", tmp.display())))?;
            false
        }
        Err(link_error) => {
            // No hard links here (some network and FUSE file systems).
            if path.exists() {
                std::fs::remove_file(&tmp)
                    .map_err(|e| context(e, format!("removing {}", tmp.display())))?;
                false
            } else if let Err(e) = std::fs::rename(&tmp, path) {
                let _ = std::fs::remove_file(&tmp); // the rename's error is the one to report
                return Err(context(
                    e,
                    format!(
                        "creating {} (hard link failed: {link_error})",
                        path.display()
                    ),
                ));
            } else {
                true
            }
        }
    };
    sync_parent(path)?;
    Ok(created)
}

/// Writes `contents` to a new `0600` file next to `path` and fsyncs it.
fn write_temp(path: &Path, contents: &[u8]) -> io::Result<PathBuf> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} does not name a file", path.display()),
        )
    })?;
    let tmp = path.with_file_name(format!(
        ".{}.{}-{}.tmp",
        name.to_string_lossy(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    private_mode(&mut options);
    let mut file = options
        .open(&tmp)
        .map_err(|e| context(e, format!("creating {}", tmp.display())))?;
    let written = file
        .write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(|e| context(e, format!("writing {}", tmp.display())));
    drop(file);
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp); // the write's error is the one to report
        return Err(e);
    }
    Ok(tmp)
}

/// Fsyncs the directory holding `path`, so a rename or link in it is durable.
fn sync_parent(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| context(e, format!("syncing directory {}", dir.display())))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn private_mode(options: &mut OpenOptions) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(FILE_MODE);
    }
    #[cfg(not(unix))]
    let _ = options;
}

#[cfg(unix)]
fn tighten_file(file: &File, path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let meta = file
        .metadata()
        .map_err(|e| context(e, format!("reading {}", path.display())))?;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & WIDE == 0 {
        return Ok(());
    }
    file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))
        .map_err(|e| {
            context(
                e,
                format!(
                    "{} has mode {mode:04o} and could not be restricted to {FILE_MODE:04o}",
                    path.display()
                ),
            )
        })?;
    tracing::warn!(
        path = %path.display(),
        was = format_args!("{mode:04o}"),
        now = format_args!("{FILE_MODE:04o}"),
        "file was open to other users; restricted it to its owner"
    );
    Ok(())
}

#[cfg(not(unix))]
fn tighten_file(_file: &File, _path: &Path) -> io::Result<()> {
    Ok(())
}

/// `err` with `what` in front of its message, keeping its kind.
fn context(err: io::Error, what: String) -> io::Error {
    io::Error::new(err.kind(), format!("{what}: {err}"))
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    fn set_mode(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn new_directories_are_0700_with_their_parents() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b/data");
        ensure_private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&tmp.path().join("a")), 0o700);
        assert_eq!(mode(&tmp.path().join("a/b")), 0o700);
    }

    #[test]
    fn a_wider_existing_directory_is_tightened() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        std::fs::create_dir(&dir).unwrap();
        set_mode(&dir, 0o755);
        ensure_private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        // A stricter one is left alone.
        set_mode(&dir, 0o700);
        ensure_private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
    }

    #[test]
    fn a_file_in_place_of_the_directory_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("data");
        std::fs::write(&path, b"x").unwrap();
        let err = ensure_private_dir(&path).unwrap_err();
        assert!(err.to_string().contains("not a directory"), "{err}");
    }

    /// `/proc/<pid>` is `0555` and no one, not even root, may change its
    /// mode: the stand-in for a directory owned by another user.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_directory_that_cannot_be_tightened_is_refused_by_name() {
        let dir = Path::new("/proc/self");
        assert_eq!(mode(dir), 0o555);
        let err = ensure_private_dir(dir).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("data directory /proc/self has mode 0555") && text.contains("chmod 700"),
            "{text}"
        );
        assert_eq!(mode(dir), 0o555);
    }

    #[test]
    fn files_are_created_0600_and_wider_ones_tightened() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("db");
        drop(open_private_file(&path).unwrap());
        assert_eq!(mode(&path), 0o600);
        // An existing world-readable file is tightened, its content kept.
        std::fs::write(&path, b"kept").unwrap();
        set_mode(&path, 0o644);
        drop(open_private_file(&path).unwrap());
        assert_eq!(mode(&path), 0o600);
        assert_eq!(std::fs::read(&path).unwrap(), b"kept");
    }

    #[test]
    fn atomic_writes_leave_one_0600_file_and_no_temporaries() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("token");
        write_private_atomic(&path, b"first").unwrap();
        assert_eq!(mode(&path), 0o600);
        set_mode(&path, 0o644);
        write_private_atomic(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        assert_eq!(mode(&path), 0o600, "the replacement is a new 0600 file");
        let names: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["token"]);
    }

    #[test]
    fn create_never_replaces() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("key");
        assert!(create_private_atomic(&path, b"one").unwrap());
        assert_eq!(mode(&path), 0o600);
        assert!(!create_private_atomic(&path, b"two").unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), b"one");
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    }

    #[test]
    fn reading_tightens_and_reports_missing_files() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("key");
        assert_eq!(read_private_file(&path).unwrap(), None);
        std::fs::write(&path, b"secret").unwrap();
        set_mode(&path, 0o644);
        assert_eq!(
            read_private_file(&path).unwrap().as_deref(),
            Some(&b"secret"[..])
        );
        assert_eq!(mode(&path), 0o600);
    }
}
