//! The signature keys of `[upstreams.<name>]`: keyring, signature, signed and signed-tags.

use std::path::Path;

use crate::manifest::checks::{signature_url, signed_uncompressed};
use crate::manifest::load::Cx;
use crate::manifest::model::*;
use crate::manifest::raw;
use crate::manifest::toml_file::Seg;
use crate::openpgp::Keyring;
use crate::path;

/// The path of key `k` of upstream `name`.
fn key(name: &str, k: &str) -> Vec<Seg> {
    path!["upstreams", name, k]
}

impl Cx<'_> {
    /// `keyring`, `signature`, `signed` and `signed-tags` of one upstream: the keyring must
    /// read as OpenPGP public keys, and every upstream with one must have something to verify.
    pub(in crate::manifest) fn signing(
        &mut self,
        name: &str,
        u: &raw::Upstream,
        source: &UpstreamSource,
        dir: &Path,
    ) -> Option<Signing> {
        let Some(keyring_path) = &u.keyring else {
            self.no_keyring(name, u);
            return None;
        };
        let (bytes, keys) = self.keyring(name, keyring_path, dir)?;
        let ok = if matches!(source, UpstreamSource::Tarball { .. }) {
            self.tarball_signing(name, u)
        } else {
            self.git_signing(name, u)
        };
        ok.then(|| Signing {
            keyring_path: keyring_path.clone(),
            keyring: bytes,
            keys,
            signature: u.signature.clone(),
            signed: u.signed.unwrap_or(Signed::Tarball),
            signed_tags: u.signed_tags == Some(true),
        })
    }

    /// Without a keyring, nothing can be verified: no key may ask for it.
    fn no_keyring(&mut self, name: &str, u: &raw::Upstream) {
        for (k, set) in [
            ("signature", u.signature.is_some()),
            ("signed", u.signed.is_some()),
            ("signed-tags", u.signed_tags == Some(true)),
        ] {
            if set {
                self.err_note(
                    key(name, k),
                    format!("`{k}` needs a `keyring` to verify with"),
                    "add keyring = \"keys/<upstream>.asc\": the armored public keys of the upstream's release managers, checked out of band",
                );
            }
        }
    }

    /// The keyring beside the manifest: its bytes and the keys they hold.
    fn keyring(
        &mut self,
        name: &str,
        keyring_path: &str,
        dir: &Path,
    ) -> Option<(Vec<u8>, Keyring)> {
        if !self.safe_path(key(name, "keyring"), "the keyring", keyring_path, false) {
            return None;
        }
        let bytes = match std::fs::read(dir.join(keyring_path)) {
            Ok(b) => b,
            Err(e) => {
                self.err_note(
                    key(name, "keyring"),
                    format!("cannot read the keyring `{keyring_path}`: {e}"),
                    "the keyring is read relative to the manifest's directory; export it with gpg --export --armor FINGERPRINT > keys/<upstream>.asc",
                );
                return None;
            }
        };
        match Keyring::parse(&bytes) {
            Ok(keys) => Some((bytes, keys)),
            Err(e) => {
                self.err_note(
                    key(name, "keyring"),
                    format!(
                        "the keyring `{keyring_path}` is not a set of OpenPGP public keys: {e}"
                    ),
                    "export it with gpg --export --armor FINGERPRINT > keys/<upstream>.asc",
                );
                None
            }
        }
    }

    /// A tarball upstream with a keyring is verified by its `signature`.
    fn tarball_signing(&mut self, name: &str, u: &raw::Upstream) -> bool {
        let mut ok = true;
        if u.signed_tags.is_some() {
            self.err_note(
                key(name, "signed-tags"),
                "`signed-tags` applies to git upstreams; a tarball upstream is verified by its `signature`",
                "drop `signed-tags`",
            );
            ok = false;
        }
        match &u.signature {
            None => {
                self.err_note(
                    path!["upstreams", name],
                    format!("upstream `{name}` has a keyring but no `signature`"),
                    "add signature = \"{url}.asc\" (or wherever upstream publishes the signature of each tarball)",
                );
                ok = false;
            }
            Some(sig) => ok &= self.check(key(name, "signature"), sig, signature_url(sig)),
        }
        if u.signed == Some(Signed::Uncompressed) {
            let checked = signed_uncompressed(u.tarball.as_deref());
            ok &= self.check(key(name, "signed"), "uncompressed", checked);
        }
        ok
    }

    /// A git upstream with a keyring is verified by its signed tags.
    fn git_signing(&mut self, name: &str, u: &raw::Upstream) -> bool {
        let mut ok = true;
        for (k, set) in [
            ("signature", u.signature.is_some()),
            ("signed", u.signed.is_some()),
        ] {
            if set {
                self.err_note(
                    key(name, k),
                    format!("`{k}` applies to tarball upstreams; a git upstream's tags carry their signatures"),
                    "drop it and set signed-tags = true",
                );
                ok = false;
            }
        }
        if u.signed_tags != Some(true) {
            self.err_note(
                key(name, "keyring"),
                format!("upstream `{name}` has a keyring but does not require signed tags"),
                "add signed-tags = true: a git upstream is verified by its signed release tags",
            );
            ok = false;
        }
        ok
    }
}
