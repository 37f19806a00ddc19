//! One mutating run at a time per manifest directory.
//!
//! `render` (without `--check`), `bump`, `watch --apply` and `archive prune` take
//! `.pkgforge.lock` beside the manifest before they read anything: two of them at once
//! would each plan against a tree the other is changing, and a bump could be lost.
//!
//! The lock is an OS lock (`flock(2)`, exclusive, non-blocking) on that file, so a holder
//! that dies, even by SIGKILL, releases it with its last file descriptor. The file also
//! holds the holder's pid, host, command line and start time: a second run reads them to
//! name the holder in its error, and a run that gets the lock but finds them left behind
//! knows the previous holder was killed and says so. A clean release deletes the file.
//! Deleting a locked file races with a run that opened it just before: each run therefore
//! checks, once it holds the lock, that the path still names the file it locked, and
//! starts over if not.
//!
//! Where the filesystem has no `flock` (some network filesystems), the recorded pid is
//! all there is: a holder whose pid is alive on this host still blocks, a dead one's lock
//! is taken over.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use rustix::fs::FlockOperation;

use crate::error::{Error, Result};

/// The lock file's name, in the manifest's directory.
pub(crate) const LOCK_FILE: &str = ".pkgforge.lock";

/// Who holds (or held) the lock, as written in the lock file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pid: u32,
    pub host: String,
    pub command: String,
    pub started: Timestamp,
    pub manifest: String,
}

impl Holder {
    fn me(manifest: &Path, command: &str) -> Holder {
        Holder {
            pid: std::process::id(),
            host: hostname(),
            command: one_line(command),
            started: Timestamp::now(),
            manifest: one_line(&manifest.display().to_string()),
        }
    }

    fn to_text(&self) -> String {
        format!(
            "# pkgforge holds this lock while it changes files; see README, \"Concurrent runs\".\npid={}\nhost={}\ncommand={}\nstarted={}\nmanifest={}\n",
            self.pid, self.host, self.command, self.started, self.manifest
        )
    }

    fn parse(text: &str) -> Option<Holder> {
        let mut pid = None;
        let mut host = None;
        let mut command = None;
        let mut started = None;
        let mut manifest = None;
        for line in text.lines() {
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            match k {
                "pid" => pid = v.parse().ok(),
                "host" => host = Some(v.to_string()),
                "command" => command = Some(v.to_string()),
                "started" => started = v.parse().ok(),
                "manifest" => manifest = Some(v.to_string()),
                _ => {}
            }
        }
        Some(Holder {
            pid: pid?,
            host: host.unwrap_or_default(),
            command: command.unwrap_or_default(),
            started: started?,
            manifest: manifest.unwrap_or_default(),
        })
    }

    /// `pid 1234, `pkgforge bump --version 3.2.0`, started 12:00:03`, with the host when
    /// it is not this one.
    pub(crate) fn describe(&self) -> String {
        let host = if self.host == hostname() {
            String::new()
        } else {
            format!(" on {}", self.host)
        };
        format!(
            "pid {}{host}, `{}`, started {}",
            self.pid,
            self.command,
            local_time(self.started)
        )
    }

    /// Whether the holder's process still runs. Only answerable on this host; a holder on
    /// another host counts as alive.
    fn alive(&self) -> bool {
        if self.host != hostname() {
            return true;
        }
        let Some(pid) = i32::try_from(self.pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
        else {
            return false;
        };
        match rustix::process::test_kill_process(pid) {
            Ok(()) => true,
            // The process exists but belongs to someone else.
            Err(e) => e == rustix::io::Errno::PERM,
        }
    }
}

/// The held lock; dropping it releases the lock and deletes the file.
#[derive(Debug)]
pub struct Lock {
    file: File,
    path: PathBuf,
    /// A holder that died without releasing the lock, found when it was taken.
    pub stale: Option<Holder>,
}

impl Lock {
    /// Take the lock of the manifest's directory for `command` (the command line, for the
    /// messages of other runs), or fail at once naming the run that holds it.
    pub fn acquire(manifest: &Path, command: &str) -> Result<Lock> {
        let dir = match manifest.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let path = dir.join(LOCK_FILE);
        let name = manifest
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| manifest.display().to_string());
        let me = Holder::me(manifest, command);
        // Each round either takes the lock, fails, or lost a race with a release.
        for _ in 0..20 {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o644)
                .open(&path)
                .map_err(|e| {
                    anyhow::anyhow!("cannot open the lock file `{}`: {e}", path.display())
                })?;
            let flocked = match rustix::fs::flock(&file, FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => true,
                Err(e) if e == rustix::io::Errno::WOULDBLOCK => {
                    return Err(held(&path, &name, read_holder_waiting(&mut file)));
                }
                // No flock here: fall back to the recorded pid.
                Err(_) => false,
            };
            if !same_file(&file, &path) {
                continue;
            }
            let previous = read_holder(&mut file);
            if !flocked {
                if let Some(h) = previous.as_ref().filter(|h| h.alive()) {
                    return Err(held(&path, &name, Some(h.clone())));
                }
            }
            write_holder(&mut file, &me).map_err(|e| {
                anyhow::anyhow!("cannot write the lock file `{}`: {e}", path.display())
            })?;
            return Ok(Lock {
                file,
                path,
                stale: previous,
            });
        }
        Err(anyhow::anyhow!(
            "cannot take the lock `{}`: it keeps being replaced",
            path.display()
        )
        .into())
    }

    /// The warning to print when the lock was taken over from a dead holder.
    pub(crate) fn stale_warning(&self) -> Option<String> {
        self.stale.as_ref().map(|h| {
            format!(
                "warning: taking over the lock `{}` left by a pkgforge that is no longer running ({})",
                self.path.display(),
                h.describe()
            )
        })
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Unlink while still holding the lock, so no run can take a file that is going away
        // without noticing (see `same_file`). Emptying it first means a run that opened it
        // before the unlink does not take this clean release for a crash.
        let _ = self.file.set_len(0);
        let _ = fs::remove_file(&self.path);
        let _ = rustix::fs::flock(&self.file, FlockOperation::Unlock);
    }
}

fn held(path: &Path, manifest: &str, holder: Option<Holder>) -> Error {
    let who = match holder {
        Some(h) => format!("another pkgforge ({})", h.describe()),
        None => "another pkgforge".to_string(),
    };
    Error::locked(format!(
        "{who} holds {manifest}'s lock `{}`",
        path.display()
    ))
    .with_note("wait for it to finish and run again; a lock whose holder has died is released and taken over automatically")
}

/// Whether `path` still names the open `file` (it may have been released and deleted
/// between our open and our flock).
fn same_file(file: &File, path: &Path) -> bool {
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

fn read_holder(file: &mut File) -> Option<Holder> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.read_to_string(&mut text).ok()?;
    Holder::parse(&text)
}

/// The holder of a lock we could not take: it may have locked the file a moment ago and
/// not written its details yet, so look a few times.
fn read_holder_waiting(file: &mut File) -> Option<Holder> {
    for _ in 0..10 {
        if let Some(h) = read_holder(file) {
            return Some(h);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    None
}

fn write_holder(file: &mut File, me: &Holder) -> std::io::Result<()> {
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    file.write_all(me.to_text().as_bytes())?;
    file.flush()
}

fn hostname() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .to_string()
}

fn one_line(s: &str) -> String {
    let flat: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() > 200 {
        let cut: String = flat.chars().take(200).collect();
        format!("{cut}...")
    } else {
        flat
    }
}

/// `12:00:03` today, `2026-11-21 12:00:03` before, in the local time zone.
fn local_time(t: Timestamp) -> String {
    let tz = jiff::tz::TimeZone::system();
    let then = t.to_zoned(tz.clone());
    let now = Timestamp::now().to_zoned(tz);
    if then.date() == now.date() {
        then.strftime("%H:%M:%S").to_string()
    } else {
        then.strftime("%Y-%m-%d %H:%M:%S").to_string()
    }
}

/// The command line of this process, as other runs will see it in messages.
pub(crate) fn command_line() -> String {
    let mut args = std::env::args();
    let program = args
        .next()
        .and_then(|a| {
            Path::new(&a)
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
        })
        .unwrap_or_else(|| "pkgforge".to_string());
    let mut out = program;
    for a in args {
        out.push(' ');
        if !a.is_empty()
            && a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=:@+,".contains(c))
        {
            out.push_str(&a);
        } else {
            out.push('\'');
            out.push_str(&a.replace('\'', "'\\''"));
            out.push('\'');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holder_round_trips() {
        let h = Holder {
            pid: 42,
            host: "build1".into(),
            command: "pkgforge bump --version 3.2.0".into(),
            started: "2026-11-22T12:00:03Z".parse().unwrap(),
            manifest: "packages.toml".into(),
        };
        assert_eq!(Holder::parse(&h.to_text()), Some(h));
        assert_eq!(Holder::parse(""), None);
        assert_eq!(Holder::parse("pid=12\n"), None);
    }

    #[test]
    fn a_second_lock_in_the_same_process_fails_and_a_release_frees_it() {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("packages.toml");
        let first = Lock::acquire(&manifest, "pkgforge render").unwrap();
        assert!(first.stale.is_none());
        let err = Lock::acquire(&manifest, "pkgforge bump").unwrap_err();
        assert_eq!(err.kind(), Some(crate::error::Kind::Locked));
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("pid {}", std::process::id()))
                && msg.contains("`pkgforge render`"),
            "{msg}"
        );
        drop(first);
        assert!(!dir.path().join(LOCK_FILE).exists());
        let again = Lock::acquire(&manifest, "pkgforge bump").unwrap();
        assert!(again.stale.is_none());
    }

    #[test]
    fn control_characters_stay_out_of_the_file() {
        assert_eq!(one_line("a\nb\tc"), "a b c");
    }
}
