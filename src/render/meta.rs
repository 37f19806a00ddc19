//! `obs/_meta/<project>.xml`: the OBS project with one repository per target.

use quick_xml::events::BytesText;

use super::xml::{document, text_element};
use crate::distro::Distro;

pub fn render(
    project: &str,
    title: &str,
    description: &str,
    targets: &[&Distro],
    archs: &[String],
) -> Vec<u8> {
    document(false, |w| {
        w.create_element("project")
            .with_attribute(("name", project))
            .write_inner_content(|w| {
                text_element(w, "title", title)?;
                text_element(w, "description", description)?;
                for t in targets {
                    w.create_element("repository")
                        .with_attribute(("name", t.obs_repository.as_str()))
                        .write_inner_content(|w| {
                            for p in &t.obs_paths {
                                let (proj, repo) = p.split_once('/').unwrap_or((p, "standard"));
                                w.create_element("path")
                                    .with_attribute(("project", proj))
                                    .with_attribute(("repository", repo))
                                    .write_empty()?;
                            }
                            for a in archs.iter().filter(|a| t.archs.contains(a)) {
                                w.create_element("arch")
                                    .write_text_content(BytesText::new(a))?;
                            }
                            Ok(())
                        })?;
                }
                Ok(())
            })?;
        Ok(())
    })
}
