//! Real OpenPGP keys and signatures made by the `gpg` binary, in a GNUPGHOME of the test's
//! own: pkgforge verifies them with its own implementation, so the two meet.

use std::path::Path;
use std::process::Command;

pub struct Gpg {
    home: tempfile::TempDir,
}

impl Gpg {
    pub fn new() -> Gpg {
        let home = tempfile::Builder::new().prefix("gnupg").tempdir().unwrap();
        let mut perms = std::fs::metadata(home.path()).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o700);
        std::fs::set_permissions(home.path(), perms).unwrap();
        Gpg { home }
    }

    fn cmd(&self, faked_time: Option<&str>) -> Command {
        let mut c = Command::new(super::tool("gpg"));
        c.env("GNUPGHOME", self.home.path())
            .args([
                "--batch",
                "--yes",
                "--no-tty",
                "--pinentry-mode",
                "loopback",
            ])
            .args(["--passphrase", ""]);
        if let Some(t) = faked_time {
            c.arg("--faked-system-time").arg(t);
        }
        c
    }

    fn run(&self, mut c: Command) -> Vec<u8> {
        let out = c.output().expect("run gpg");
        assert!(
            out.status.success(),
            "{c:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// A new signing key (ed25519) for `uid`; `expire` as gpg reads it ("never", "1d"), made
    /// at `faked_time` (gpg's `--faked-system-time`, e.g. "20200101T000000!") when given.
    /// Returns its fingerprint.
    pub fn key(&self, uid: &str, expire: &str, faked_time: Option<&str>) -> String {
        let mut c = self.cmd(faked_time);
        c.args(["--quick-gen-key", uid, "ed25519", "sign", expire]);
        self.run(c);
        let mut c = self.cmd(None);
        c.args(["--with-colons", "--list-keys", uid]);
        let listing = String::from_utf8(self.run(c)).unwrap();
        listing
            .lines()
            .find_map(|l| l.strip_prefix("fpr:"))
            .map(|l| l.trim_matches(':').to_string())
            .expect("fingerprint")
    }

    /// The armored public key.
    pub fn export(&self, fpr: &str) -> Vec<u8> {
        let mut c = self.cmd(None);
        c.args(["--armor", "--export", fpr]);
        let out = self.run(c);
        assert!(out.starts_with(b"-----BEGIN PGP PUBLIC KEY BLOCK-----"));
        out
    }

    /// An armored detached signature of `data` by `fpr`.
    pub fn sign(&self, fpr: &str, data: &[u8], faked_time: Option<&str>) -> Vec<u8> {
        let file = self.home.path().join("to-sign");
        std::fs::write(&file, data).unwrap();
        let out = self.home.path().join("to-sign.asc");
        let mut c = self.cmd(faked_time);
        c.args(["--local-user", fpr, "--armor", "--detach-sign", "--output"])
            .arg(&out)
            .arg(&file);
        self.run(c);
        std::fs::read(out).unwrap()
    }

    /// Revoke `fpr` with the revocation certificate gpg made with the key.
    pub fn revoke(&self, fpr: &str) {
        let cert = self
            .home
            .path()
            .join("openpgp-revocs.d")
            .join(format!("{fpr}.rev"));
        let text = std::fs::read_to_string(&cert).unwrap();
        // gpg guards the certificate against an accidental import with a leading colon
        let armed = text.replace(
            ":-----BEGIN PGP PUBLIC KEY BLOCK-----",
            "-----BEGIN PGP PUBLIC KEY BLOCK-----",
        );
        let file = self.home.path().join("revoke.asc");
        std::fs::write(&file, armed).unwrap();
        let mut c = self.cmd(None);
        c.arg("--import").arg(&file);
        self.run(c);
    }

    pub fn home(&self) -> &Path {
        self.home.path()
    }
}

/// Write an annotated tag object for `commit` whose message is signed by `fpr` (as
/// `git tag -s` does: the signature over the object text is appended to it), or unsigned
/// when `fpr` is `None`; point `refs/tags/<name>` at it.
pub fn tag(
    gpg: &Gpg,
    repo: &git2::Repository,
    name: &str,
    commit: &str,
    fpr: Option<&str>,
) -> String {
    let mut text = format!(
        "object {commit}\ntype commit\ntag {name}\ntagger Upstream <upstream@example.org> 1700000000 +0000\n\nRelease {name}\n"
    );
    if let Some(fpr) = fpr {
        let sig = gpg.sign(fpr, text.as_bytes(), None);
        text.push_str(&String::from_utf8(sig).unwrap());
    }
    let oid = repo
        .odb()
        .unwrap()
        .write(git2::ObjectType::Tag, text.as_bytes())
        .unwrap();
    repo.reference(&format!("refs/tags/{name}"), oid, true, "tag")
        .unwrap();
    oid.to_string()
}
