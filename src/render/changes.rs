//! SUSE `.changes`: the changelog as `osc vc` writes it, newest entry first.

use serde::Serialize;

use super::templates::Templates;
use crate::error::Result;
use crate::manifest::Package;

#[derive(Serialize)]
struct Item {
    date: String,
    author: String,
    changes: Vec<String>,
}

#[derive(Serialize)]
struct Context {
    name: String,
    entries: Vec<Item>,
}

pub(crate) fn render(package: &Package, templates: &Templates) -> Result<String> {
    let ctx = Context {
        name: package.name.clone(),
        entries: package
            .changelog
            .iter()
            .map(|e| Item {
                date: e.suse_date(),
                author: e.author.clone(),
                changes: e.changes.clone(),
            })
            .collect(),
    };
    templates.render("changes.tera", &ctx)
}
