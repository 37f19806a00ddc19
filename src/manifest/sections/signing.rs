//! The signature keys of `[upstreams.<name>]`: keyring, signature, signed and signed-tags.

use std::path::Path;

use crate::manifest::load::Cx;
use crate::manifest::model::*;
use crate::manifest::raw;
use crate::path;

impl Cx<'_> {
    /// `keyring`, `signature`, `signed` and `signed-tags` of one upstream: the keyring must
    /// read as OpenPGP public keys, and every upstream with one must have something to verify.
    pub(in crate::manifest) fn signing(
        &mut self,
        name: &str,
        u: &raw::Upstream,
        source: &Source,
        dir: &Path,
    ) -> Option<Signing> {
        let p = |k: &str| path!["upstreams", name, k];
        let is_tarball = matches!(source, Source::Tarball { .. });
        let Some(keyring_path) = &u.keyring else {
            for (key, set) in [
                ("signature", u.signature.is_some()),
                ("signed", u.signed.is_some()),
                ("signed-tags", u.signed_tags == Some(true)),
            ] {
                if set {
                    self.err_note(
                        p(key),
                        format!("`{key}` needs a `keyring` to verify with"),
                        "add keyring = \"keys/<upstream>.asc\": the armored public keys of the upstream's release managers, checked out of band",
                    );
                }
            }
            return None;
        };
        if !self.safe_path(p("keyring"), "the keyring", keyring_path, false) {
            return None;
        }
        let bytes = match std::fs::read(dir.join(keyring_path)) {
            Ok(b) => b,
            Err(e) => {
                self.err_note(
                    p("keyring"),
                    format!("cannot read the keyring `{keyring_path}`: {e}"),
                    "the keyring is read relative to the manifest's directory; export it with gpg --export --armor FINGERPRINT > keys/<upstream>.asc",
                );
                return None;
            }
        };
        let keys = match crate::openpgp::Keyring::parse(&bytes) {
            Ok(k) => k,
            Err(e) => {
                self.err_note(
                    p("keyring"),
                    format!(
                        "the keyring `{keyring_path}` is not a set of OpenPGP public keys: {e}"
                    ),
                    "export it with gpg --export --armor FINGERPRINT > keys/<upstream>.asc",
                );
                return None;
            }
        };
        let mut ok = true;
        if is_tarball {
            if u.signed_tags.is_some() {
                self.err_note(
                    p("signed-tags"),
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
                Some(sig) => {
                    if !sig.contains("{url}") && !sig.contains("{version}") {
                        self.err_note(
                            p("signature"),
                            "the signature URL has neither `{url}` nor `{version}`",
                            "write it like \"{url}.sign\" or \"https://example.org/demo-{version}.tar.asc\", so every release gets its own",
                        );
                        ok = false;
                    } else {
                        match sig.strip_prefix("{url}") {
                            Some(rest) => {
                                let plain = rest.chars().all(|c| {
                                    c.is_ascii_alphanumeric()
                                        || matches!(c, '.' | '_' | '-' | '~' | '+' | '/')
                                });
                                if !plain {
                                    self.err_note(
                                        p("signature"),
                                        "what follows `{url}` in the signature URL must be a plain file suffix",
                                        "such as \"{url}.asc\" or \"{url}.sign\"",
                                    );
                                    ok = false;
                                }
                            }
                            None => ok &= self.url(p("signature"), "the signature URL", sig),
                        }
                    }
                }
            }
            if u.signed == Some(Signed::Uncompressed) {
                let compressed = u.tarball.as_deref().is_some_and(|t| {
                    [".tar.xz", ".tar.gz", ".tgz", ".tar.bz2", ".tar.zst"]
                        .iter()
                        .any(|ext| t.ends_with(ext))
                });
                if !compressed {
                    self.err_note(
                        p("signed"),
                        "`signed = \"uncompressed\"` needs a compressed tarball (.tar.xz, .tar.gz, .tgz, .tar.bz2 or .tar.zst)",
                        "for a plain .tar, the tarball is what is signed: drop `signed`",
                    );
                    ok = false;
                }
            }
        } else {
            for (key, set) in [
                ("signature", u.signature.is_some()),
                ("signed", u.signed.is_some()),
            ] {
                if set {
                    self.err_note(
                        p(key),
                        format!("`{key}` applies to tarball upstreams; a git upstream's tags carry their signatures"),
                        "drop it and set signed-tags = true",
                    );
                    ok = false;
                }
            }
            if u.signed_tags != Some(true) {
                self.err_note(
                    p("keyring"),
                    format!("upstream `{name}` has a keyring but does not require signed tags"),
                    "add signed-tags = true: a git upstream is verified by its signed release tags",
                );
                ok = false;
            }
        }
        ok.then(|| Signing {
            keyring_path: keyring_path.clone(),
            keyring: bytes,
            keys,
            signature: u.signature.clone(),
            signed: u.signed.unwrap_or(Signed::Tarball),
            signed_tags: u.signed_tags == Some(true),
        })
    }
}
