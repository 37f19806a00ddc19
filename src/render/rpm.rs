//! Text conventions of rpm specs shared by the OBS spec and the per-target specs:
//! escaping, `$DESTDIR`, the directory macros spec-cleaner expects, and `%if` conditions.

use std::collections::BTreeSet;

use crate::distro::{group_rpm_condition, Distro};

/// A literal `%` must be written `%%`, or rpm expands it.
pub(crate) fn escape(text: &str) -> String {
    text.replace('%', "%%")
}

/// The directory macros spec-cleaner rewrites hard-coded paths into, in its order.
/// Each rule: (text to find, replacement, whether it must start a path).
const DIR_RULES: &[(&str, &str, Start)] = &[
    ("/usr", "%{_prefix}", Start::NotAfterWord),
    ("%{_prefix}/bin", "%{_bindir}", Start::Anywhere),
    ("%{_prefix}/sbin", "%{_sbindir}", Start::Anywhere),
    ("%{_prefix}/libexec", "%{_libexecdir}", Start::Anywhere),
    ("%{_prefix}/include", "%{_includedir}", Start::Anywhere),
    ("%{_prefix}/share", "%{_datadir}", Start::Anywhere),
    ("%{_datadir}/man", "%{_mandir}", Start::Anywhere),
    ("%{_datadir}/info", "%{_infodir}", Start::Anywhere),
    ("%{_datadir}/doc/packages", "%{_docdir}", Start::Anywhere),
    ("/etc/init.d", "%{_initddir}", Start::Path),
    ("/etc", "%{_sysconfdir}", Start::Path),
    ("/var", "%{_localstatedir}", Start::Path),
    ("%{_prefix}/lib64", "%{_libdir}", Start::Anywhere),
    (
        "%{_prefix}/lib/systemd/system",
        "%{_unitdir}",
        Start::Anywhere,
    ),
    (
        "%{_prefix}/lib/tmpfiles.d",
        "%{_tmpfilesdir}",
        Start::Anywhere,
    ),
    (
        "%{_prefix}/lib/sysusers.d",
        "%{_sysusersdir}",
        Start::Anywhere,
    ),
    (
        "%{_prefix}/lib/udev/rules.d",
        "%{_udevrulesdir}",
        Start::Anywhere,
    ),
    ("%{_prefix}/lib/sysctl.d", "%{_sysctldir}", Start::Anywhere),
    ("%{_datadir}/fonts", "%{_fontsdir}", Start::Anywhere),
];

/// Macros that only `systemd-rpm-macros` defines.
pub(crate) const SYSTEMD_MACROS: &[&str] = &[
    "%{_unitdir}",
    "%{_tmpfilesdir}",
    "%{_sysusersdir}",
    "%{_udevrulesdir}",
    "%{_sysctldir}",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Start {
    Anywhere,
    NotAfterWord,
    Path,
}

fn ends_macro(rest: &str) -> bool {
    rest.is_empty() || rest.starts_with(['/', '%', '"']) || rest.starts_with(char::is_whitespace)
}

fn starts_path(before: &str) -> bool {
    before.is_empty()
        || before.ends_with(|c: char| {
            c.is_whitespace() || matches!(c, '"' | '\'' | '=' | ':' | ',' | '(' | '{')
        })
        || before.ends_with("%{buildroot}")
        || before.ends_with("%buildroot")
}

/// Write hard-coded directories as rpm macros, the way spec-cleaner would.
pub(crate) fn dir_macros(line: &str) -> String {
    let mut line = line.to_string();
    // Every rule's pattern has a `/`; most lines of a spec have none, or match no rule.
    if !line.contains('/') {
        return line;
    }
    for (find, replace, start) in DIR_RULES {
        if !line.contains(find) {
            continue;
        }
        let mut out = String::with_capacity(line.len());
        let mut rest = line.as_str();
        let mut consumed = 0;
        while let Some(i) = rest.find(find) {
            let before = &line[..consumed + i];
            let after = &rest[i + find.len()..];
            let ok_start = match start {
                Start::Anywhere => true,
                Start::NotAfterWord => !before.ends_with(|c: char| c.is_alphanumeric() || c == '_'),
                Start::Path => starts_path(before),
            };
            out.push_str(&rest[..i]);
            if ok_start && ends_macro(after) {
                out.push_str(replace);
            } else {
                out.push_str(find);
            }
            consumed += i + find.len();
            rest = after;
        }
        out.push_str(rest);
        line = out;
    }
    line
}

/// A shell script from the manifest as a spec section body: `%` escaped, `$DESTDIR`
/// as `%{buildroot}`, directories as macros, and `make` as spec-cleaner writes it.
pub(crate) fn script(text: &str, section: Section) -> String {
    let mut out = Vec::new();
    for raw in text.trim_end().lines() {
        let mut line = escape(raw.trim_end());
        for v in ["${DESTDIR}", "$DESTDIR", "$(DESTDIR)"] {
            line = line.replace(v, "%{buildroot}");
        }
        line = dir_macros(&line);
        if !line.trim_start().starts_with('#') {
            let indent = &line[..line.len() - line.trim_start().len()];
            let body = line.trim_start();
            match section {
                Section::Build => {
                    if body == "make" || body.starts_with("make ") || body.starts_with("make\t") {
                        line = format!("{indent}%make_build{}", &body[4..]);
                    }
                }
                Section::Install => {
                    let words: Vec<&str> = body.split_whitespace().collect();
                    if words.len() >= 2
                        && words[0] == "make"
                        && words.contains(&"install")
                        && words[1..].iter().all(|w| {
                            matches!(
                                *w,
                                "install"
                                    | "DESTDIR=%{buildroot}"
                                    | "V=1"
                                    | "VERBOSE=1"
                                    | "%{?_smp_mflags}"
                            )
                        })
                    {
                        line = "%make_install".to_string();
                    }
                }
            }
        }
        out.push(line);
    }
    out.join("\n")
}

#[derive(Clone, Copy)]
pub(crate) enum Section {
    Build,
    Install,
}

/// `%files` lines for files, config files and the package's own directories.
pub(crate) fn files(
    files: &[String],
    config_files: &[String],
    owned_dir_words: &[&str],
) -> Vec<String> {
    let mut dirs = BTreeSet::new();
    for f in files.iter().chain(config_files) {
        let path = std::path::Path::new(f);
        let comps: Vec<String> = path
            .components()
            .map(|c| c.as_os_str().to_string_lossy().to_string())
            .collect();
        // own directories named after the project or package, from the first such one down
        if let Some(first) = comps
            .iter()
            .position(|c| owned_dir_words.iter().any(|w| c.contains(w)))
        {
            for end in (first + 1)..comps.len() {
                let dir: std::path::PathBuf = comps[..end].iter().collect();
                let dir = dir.to_string_lossy().to_string();
                if !files.contains(&dir) {
                    dirs.insert(dir);
                }
            }
        }
    }
    let mut out: Vec<String> = dirs
        .iter()
        .map(|d| format!("%dir {}", dir_macros(d)))
        .collect();
    out.extend(files.iter().map(|f| {
        let line = dir_macros(f);
        man_page(&line).or_else(|| info_page(&line)).unwrap_or(line)
    }));
    out.extend(
        config_files
            .iter()
            .map(|f| format!("%config(noreplace) {}", dir_macros(f))),
    );
    out
}

/// A man page as `install` leaves it (`%{_mandir}/man1/foo.1`, or `foo.1.gz`) written
/// the way spec-cleaner wants it, `%{_mandir}/man1/foo.1%{?ext_man}`: rpm compresses man
/// pages after `%install`, and `%{ext_man}` is the extension it gives them.
pub(crate) fn man_page(line: &str) -> Option<String> {
    let rest = line.strip_prefix("%{_mandir}/man")?;
    let (dir, file) = rest.split_once('/')?;
    let file = file.strip_suffix(".gz").unwrap_or(file);
    let (stem, section) = file.rsplit_once('.')?;
    let is_section = |s: &str| s.starts_with(|c: char| c.is_ascii_digit());
    if stem.is_empty() || file.contains('/') || !is_section(dir) || !is_section(section) {
        return None;
    }
    Some(format!("%{{_mandir}}/man{dir}/{file}%{{?ext_man}}"))
}

/// An info page as `install` leaves it (`%{_infodir}/foo.info`, `foo.info-1`, or with
/// `.gz`) written as spec-cleaner writes it, `%{_infodir}/foo.info%{?ext_info}`: rpm
/// compresses info pages after `%install` too. The info package's file triggers update
/// the directory of info pages on every rpm distro, so the spec runs no `install-info`.
pub(crate) fn info_page(line: &str) -> Option<String> {
    let file = line.strip_prefix("%{_infodir}/")?;
    let file = file.strip_suffix(".gz").unwrap_or(file);
    let (stem, part) = file.rsplit_once(".info")?;
    let part_ok = part.is_empty()
        || part
            .strip_prefix('-')
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
    if stem.is_empty() || stem.contains('/') || !part_ok {
        return None;
    }
    Some(format!("%{{_infodir}}/{file}%{{?ext_info}}"))
}

/// rpmlint's spec check takes a path under `/usr/lib`, which spec-cleaner writes
/// `%{_prefix}/lib`, for a library path that should be `%{_libdir}`
/// (`hardcoded-library-path`), except the directories in its
/// `HardcodedLibPathExceptions`. A package's own directory there holds
/// architecture-dependent files that are no libraries: whether `spec` has such a path
/// outside comments and `%changelog`.
pub(crate) fn has_usr_lib_path(spec: &str) -> bool {
    const EXCEPTIONS: [&str; 7] = [
        "modules", "cpp", "perl5", "rpm", "hotplug", "firmware", "systemd",
    ];
    let mut changelog = false;
    for line in spec.lines() {
        if line.starts_with('%') {
            changelog = line.trim_end() == "%changelog";
        }
        if changelog || line.trim_start().starts_with('#') {
            continue;
        }
        let code = line.split('#').next().unwrap_or_default();
        for (at, _) in code.match_indices("%{_prefix}/lib") {
            let rest = &code[at + "%{_prefix}/lib".len()..];
            let Some(rest) = rest.strip_prefix('/') else {
                if rest.is_empty() || rest.starts_with([' ', '\t', ';']) {
                    return true;
                }
                continue;
            };
            let dir = rest.split(['/', ' ', '\t', ',']).next().unwrap_or_default();
            if !EXCEPTIONS.contains(&dir) {
                return true;
            }
        }
    }
    false
}

/// `<name>-rpmlintrc`, which OBS's rpmlint check reads from an OBS package's sources
/// and applies to everything built from it (the spec, in the source rpm, and the
/// binary rpms): `filters`, each `(why, check)`, the why as a comment.
pub(crate) fn rpmlintrc(filters: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (why, check) in filters {
        for line in why.lines() {
            out.push_str(&format!("# {line}\n"));
        }
        out.push_str(&format!("addFilter(\"{check}\")\n"));
    }
    out
}

/// The filter for [`has_usr_lib_path`].
pub(crate) const USR_LIB_FILTER: (&str, &str) = (
    "Paths under /usr/lib are the package's own directory, not library paths.",
    "hardcoded-library-path",
);

/// A condition true on exactly `chosen` among `all` rpm targets, as general as possible:
/// a group (`0%{?suse_version}`), then a family, then single distros.
pub(crate) fn condition(chosen: &[&Distro], all: &[&Distro]) -> String {
    let in_chosen = |d: &Distro| chosen.iter().any(|c| c.id == d.id);
    let mut covered: BTreeSet<String> = BTreeSet::new();
    let mut parts: Vec<String> = Vec::new();
    let mut candidates: Vec<(String, Vec<&Distro>)> = Vec::new();
    for g in ["suse", "rhel"] {
        let members: Vec<&Distro> = all
            .iter()
            .copied()
            .filter(|d| d.family.group() == Some(g))
            .collect();
        if let Some(c) = group_rpm_condition(g) {
            candidates.push((c.to_string(), members));
        }
    }
    let mut families: Vec<_> = all.iter().map(|d| d.family).collect();
    families.dedup();
    for f in crate::distro::Family::ALL {
        if families.contains(&f) {
            let members = all.iter().copied().filter(|d| d.family == f).collect();
            candidates.push((f.rpm_condition().to_string(), members));
        }
    }
    for d in all {
        candidates.push((d.condition.clone(), vec![*d]));
    }
    for (cond, members) in candidates {
        if members.is_empty() || !members.iter().all(|m| in_chosen(m)) {
            continue;
        }
        if members.iter().all(|m| covered.contains(&m.id)) {
            continue;
        }
        for m in &members {
            covered.insert(m.id.clone());
        }
        parts.push(cond);
    }
    if parts.len() == 1 {
        return parts.remove(0);
    }
    parts
        .into_iter()
        .map(|p| {
            if p.contains("&&") || p.contains("||") {
                format!("({p})")
            } else {
                p
            }
        })
        .collect::<Vec<_>>()
        .join(" || ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn man_pages_take_the_extension_rpm_gives_them() {
        for (file, line) in [
            (
                "/usr/share/man/man1/pkgforge.1",
                "%{_mandir}/man1/pkgforge.1%{?ext_man}",
            ),
            (
                "/usr/share/man/man5/foo.conf.5.gz",
                "%{_mandir}/man5/foo.conf.5%{?ext_man}",
            ),
            (
                "/usr/share/man/man3/Foo::Bar.3pm",
                "%{_mandir}/man3/Foo::Bar.3pm%{?ext_man}",
            ),
            ("/usr/share/man/man1", "%{_mandir}/man1"),
            ("/usr/share/man/de/man1/foo.1", "%{_mandir}/de/man1/foo.1"),
            ("/usr/share/man/man1/README", "%{_mandir}/man1/README"),
            ("/usr/share/doc/foo.1", "%{_datadir}/doc/foo.1"),
        ] {
            let macros = dir_macros(file);
            assert_eq!(man_page(&macros).unwrap_or(macros), line, "{file}");
        }
    }

    #[test]
    fn info_pages_take_the_extension_rpm_gives_them() {
        for (file, line) in [
            (
                "/usr/share/info/hello.info",
                "%{_infodir}/hello.info%{?ext_info}",
            ),
            (
                "/usr/share/info/hello.info.gz",
                "%{_infodir}/hello.info%{?ext_info}",
            ),
            (
                "/usr/share/info/hello.info-2",
                "%{_infodir}/hello.info-2%{?ext_info}",
            ),
            ("/usr/share/info", "%{_infodir}"),
            ("/usr/share/info/dir", "%{_infodir}/dir"),
            ("/usr/share/info/hello/a.info", "%{_infodir}/hello/a.info"),
            (
                "/usr/share/info/hello.information",
                "%{_infodir}/hello.information",
            ),
        ] {
            let macros = dir_macros(file);
            assert_eq!(info_page(&macros).unwrap_or(macros), line, "{file}");
        }
    }

    #[test]
    fn directories_become_macros() {
        assert_eq!(
            dir_macros("/usr/bin/kata-runtime"),
            "%{_bindir}/kata-runtime"
        );
        assert_eq!(
            dir_macros("/etc/kata-containers/configuration.toml"),
            "%{_sysconfdir}/kata-containers/configuration.toml"
        );
        assert_eq!(
            dir_macros("/usr/lib/systemd/system/kata.service"),
            "%{_unitdir}/kata.service"
        );
        assert_eq!(
            dir_macros("/usr/share/defaults/kata"),
            "%{_datadir}/defaults/kata"
        );
        assert_eq!(dir_macros("/usr/lib/foo"), "%{_prefix}/lib/foo");
        assert_eq!(
            dir_macros("make install PREFIX=/usr"),
            "make install PREFIX=%{_prefix}"
        );
        assert_eq!(
            dir_macros("https://example.org/usr/etc"),
            "https://example.org/usr/etc"
        );
        assert_eq!(
            dir_macros("cp x %{buildroot}/etc/x"),
            "cp x %{buildroot}%{_sysconfdir}/x"
        );
    }

    #[test]
    fn scripts_are_escaped_and_use_buildroot() {
        assert_eq!(
            script(
                "make -C src install DESTDIR=$DESTDIR PREFIX=/usr",
                Section::Install
            ),
            "make -C src install DESTDIR=%{buildroot} PREFIX=%{_prefix}"
        );
        assert_eq!(
            script("make install DESTDIR=$DESTDIR", Section::Install),
            "%make_install"
        );
        assert_eq!(
            script("make -C src/runtime", Section::Build),
            "%make_build -C src/runtime"
        );
        assert_eq!(script("echo 100%", Section::Build), "echo 100%%");
    }

    #[test]
    fn usr_lib_paths_are_found_as_rpmlint_finds_them() {
        for spec in [
            "%files\n%{_prefix}/lib/kata-containers/vmlinux.container\n",
            "%install\ninstall -D x %{buildroot}%{_prefix}/lib/guestrt/x.img\n",
            "%files\n%dir %{_prefix}/lib/guestrt\n",
            "%build\nmake IMAGEPATH=%{_prefix}/lib/kata/x.img # the image\n",
        ] {
            assert!(has_usr_lib_path(spec), "{spec}");
        }
        for spec in [
            "%files\n%{_prefix}/lib/systemd/system/x.service\n",
            "%files\n%{_prefix}/lib/firmware/x.bin\n",
            "%files\n%{_libdir}/x\n%{_prefix}/libexec/x\n",
            "# %{_prefix}/lib/x in a comment\n",
            "%changelog\n- Move to %{_prefix}/lib/x\n",
        ] {
            assert!(!has_usr_lib_path(spec), "{spec}");
        }
    }

    #[test]
    fn rpmlintrc_comments_each_filter() {
        assert_eq!(
            rpmlintrc(&[("one\ntwo", "a-check"), USR_LIB_FILTER]),
            "# one\n# two\naddFilter(\"a-check\")\n\
             # Paths under /usr/lib are the package's own directory, not library paths.\n\
             addFilter(\"hardcoded-library-path\")\n"
        );
    }
}
