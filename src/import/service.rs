//! An OBS `_service` file read into what the manifest says about an upstream.

use std::path::Path;

use quick_xml::events::Event;

use crate::error::{Diagnostic, Result};

/// One `<service>` with its parameters, in order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Service {
    pub name: String,
    pub mode: Option<String>,
    pub params: Vec<(String, String)>,
    /// Byte offset of the element in the file.
    pub offset: usize,
}

impl Service {
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The services pkgforge knows what to do with.
pub(crate) const KNOWN: &[&str] = &[
    "obs_scm",
    "tar_scm",
    "download_files",
    "verify_file",
    "set_version",
    "tar",
    "recompress",
    "go_modules",
    "cargo_vendor",
    "cargo_audit",
];

/// What the `_service` says about the sources.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Sources {
    pub git: Option<String>,
    pub revision: Option<String>,
    pub version: Option<String>,
    pub download_files: bool,
    pub sha256: Option<String>,
    pub vendor: Option<&'static str>,
    /// cargo_vendor's `cargotoml`.
    pub cargo_toml: Option<String>,
    /// Services that ran on OBS's server (mode buildtime or none given), by name.
    pub server_side: Vec<String>,
}

/// Read `_service` at `path`: its services, or an error at the first one that is not
/// XML or names a service pkgforge does not know.
pub(crate) fn parse(path: &Path, text: &str) -> Result<Vec<Service>> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut services: Vec<Service> = Vec::new();
    let mut param: Option<String> = None;
    loop {
        let offset = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| {
            let at = reader.buffer_position() as usize;
            Diagnostic::new(path, format!("_service is not valid XML: {e}"))
                .at(text, Some(at.min(text.len())..at.min(text.len())))
        })?;
        match event {
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                "service" => services.push(Service {
                    name: attribute(&e, "name").unwrap_or_default(),
                    mode: attribute(&e, "mode"),
                    params: Vec::new(),
                    offset: offset + text[offset..].find('<').unwrap_or(0),
                }),
                "param" => param = attribute(&e, "name"),
                _ => {}
            },
            Event::Text(t) => {
                if let (Some(name), Some(s)) = (param.take(), services.last_mut()) {
                    let v = t.xml10_content().trim().to_string();
                    s.params.push((name, v));
                }
            }
            Event::End(_) => param = None,
            Event::Eof => break,
            _ => {}
        }
    }
    for s in &services {
        if !KNOWN.contains(&s.name.as_str()) {
            let end = text[s.offset..]
                .find(['>', '\n'])
                .map_or(text.len(), |i| s.offset + i + 1);
            return Err(Diagnostic::new(
                path,
                format!("unknown service `{}`: pkgforge cannot express it", s.name),
            )
            .at(text, Some(s.offset..end))
            .note(format!("known services: {}", KNOWN.join(", ")))
            .help("remove the service, import, and add what it did by hand")
            .into());
        }
    }
    Ok(services)
}

fn attribute(e: &quick_xml::events::BytesStart, name: &str) -> Option<String> {
    e.try_get_attribute(name).ok().flatten().and_then(|a| {
        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .ok()
            .map(|v| v.to_string())
    })
}

/// The upstream and vendoring the services describe.
pub(crate) fn sources(services: &[Service]) -> Sources {
    let mut s = Sources::default();
    for svc in services {
        match svc.name.as_str() {
            "obs_scm" | "tar_scm" => {
                s.git = svc.param("url").map(str::to_string);
                s.revision = svc.param("revision").map(str::to_string);
                s.version = svc
                    .param("version")
                    .or_else(|| svc.param("versionformat"))
                    .map(str::to_string);
            }
            "download_files" => s.download_files = true,
            "verify_file" if svc.param("verifier") == Some("sha256") => {
                s.sha256 = svc.param("checksum").map(str::to_string);
            }
            "go_modules" => s.vendor = Some("go"),
            "cargo_vendor" => {
                s.vendor = Some("cargo");
                s.cargo_toml = svc.param("cargotoml").map(str::to_string);
            }
            _ => {}
        }
        if svc.mode.as_deref() != Some("manual") && svc.mode.as_deref() != Some("disabled") {
            s.server_side.push(svc.name.clone());
        }
    }
    s
}

/// Whether `revision` pins a commit rather than naming a branch or tag.
pub(crate) fn is_commit(revision: &str) -> bool {
    revision.len() == 40 && revision.chars().all(|c| c.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_service_is_refused_at_its_line() {
        let text = "<services>\n  <service name=\"obs_scm\"/>\n  <service name=\"frobnicate\"/>\n</services>\n";
        let e = parse(Path::new("x/_service"), text)
            .err()
            .map(|e| e.rendered());
        let e = e.unwrap_or_default();
        assert!(e.contains("x/_service:3:"), "{e}");
        assert!(e.contains("unknown service `frobnicate`"), "{e}");
    }

    #[test]
    fn obs_scm_and_vendoring_are_read() {
        let text = "<services><service name=\"obs_scm\"><param name=\"url\">https://x/y.git</param>\
                    <param name=\"revision\">0123456789abcdef0123456789abcdef01234567</param></service>\
                    <service name=\"cargo_vendor\"/></services>";
        let s = sources(&parse(Path::new("_service"), text).unwrap_or_default());
        assert_eq!(s.git.as_deref(), Some("https://x/y.git"));
        assert!(is_commit(s.revision.as_deref().unwrap_or_default()));
        assert_eq!(s.vendor, Some("cargo"));
    }
}
