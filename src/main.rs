mod cli;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use cli::{ArchiveCommand, Cli, Color, Command, TemplatesCommand};
use pkgforge::app::Project;
use pkgforge::journal;
use pkgforge::lock::{self, Lock};
use pkgforge::output::{self, Kind};
use pkgforge::render::templates;
use pkgforge::Error;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            match &e {
                Error::Other(err) => eprintln!("error: {err:#}"),
                Error::Usage(m) | Error::Unreachable(m) | Error::Unverified(m)
                    if !m.starts_with("error:") =>
                {
                    eprintln!("error: {m}")
                }
                other => eprintln!("{other}"),
            }
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

fn use_color(choice: Color) -> bool {
    match choice {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal(),
    }
}

fn colorize(diff: &str) -> String {
    let mut out = String::with_capacity(diff.len());
    for line in diff.split_inclusive('\n') {
        let code =
            if line.starts_with("+++") || line.starts_with("---") || line.starts_with("diff ") {
                "1"
            } else if line.starts_with('+') {
                "32"
            } else if line.starts_with('-') {
                "31"
            } else if line.starts_with("@@") {
                "36"
            } else {
                ""
            };
        if code.is_empty() {
            out.push_str(line);
        } else {
            let body = line.trim_end_matches('\n');
            out.push_str(&format!("\x1b[{code}m{body}\x1b[0m"));
            if line.ends_with('\n') {
                out.push('\n');
            }
        }
    }
    out
}

fn print_diff(cli: &Cli, text: &str) {
    let text = if use_color(cli.color) {
        colorize(text)
    } else {
        text.to_string()
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
}

fn manifest_dir(cli: &Cli) -> &std::path::Path {
    cli.manifest.parent().unwrap_or(std::path::Path::new(""))
}

/// For the commands that change files: take the lock of the manifest's directory, then
/// repair what a killed run left (temporary files, a half-applied bump). Whether a bump
/// or prune was completed from its journal, so every output must be rendered again.
fn lock_and_recover(cli: &Cli) -> Result<(Lock, bool), Error> {
    let lock = Lock::acquire(&cli.manifest, &lock::command_line())?;
    if let Some(w) = lock.stale_warning() {
        eprintln!("{w}");
    }
    let rec = journal::recover(manifest_dir(cli))?;
    if rec.journal {
        let files: Vec<String> = rec
            .rolled_forward
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        eprintln!(
            "warning: completing a bump or prune that was interrupted{}",
            if files.is_empty() {
                String::new()
            } else {
                format!(
                    " ({} rolled forward from {})",
                    files.join(", "),
                    journal::JOURNAL
                )
            }
        );
    }
    Ok((lock, rec.journal))
}

/// For the commands that only read: say so when an interrupted bump waits for a render.
fn warn_pending(cli: &Cli) {
    if let Some(w) = journal::pending_warning(manifest_dir(cli)) {
        eprintln!("{w}");
    }
}

fn run(cli: &Cli) -> Result<u8, Error> {
    match &cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(
                *shell,
                &mut Cli::command(),
                "pkgforge",
                &mut std::io::stdout(),
            );
            Ok(0)
        }
        Command::Man => {
            let man = clap_mangen::Man::new(Cli::command());
            man.render(&mut std::io::stdout())
                .map_err(anyhow::Error::from)?;
            Ok(0)
        }
        Command::Templates(TemplatesCommand::List) => {
            for (name, _) in templates::DEFAULTS {
                println!("{name}");
            }
            Ok(0)
        }
        Command::Templates(TemplatesCommand::Show { name }) => match templates::stamped(name) {
            Some(text) => {
                print!("{text}");
                Ok(0)
            }
            None => Err(Error::usage(format!(
                "error: `{name}` is not a built-in template\n  = note: templates: {}",
                templates::DEFAULTS
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        },
        Command::Distros => {
            let model = match cli.manifest.exists() {
                true => Some(Project::load(&cli.manifest)?.model),
                false => None,
            };
            let distros = match &model {
                Some(m) => m.distros.clone(),
                None => pkgforge::distro::builtin(),
            };
            print!("{}", pkgforge::distro::table(&distros));
            // Which image each target's packages require: the default base of every rootfs.
            if let Some(m) = model.filter(|m| !m.rootfs.is_empty()) {
                print!("\n{}", pkgforge::render::kiwi::default_base_table(&m));
            }
            Ok(0)
        }
        Command::Bump(args) => {
            let _lock = if args.dry_run {
                warn_pending(cli);
                None
            } else {
                Some(lock_and_recover(cli)?)
            };
            let req = pkgforge::bump::Request {
                upstream: args.upstream.clone(),
                version: args.version.clone(),
                commit: args.commit.clone(),
                messages: args.messages.clone(),
                date: args.date.clone(),
                force: args.force,
            };
            let bump =
                pkgforge::bump::prepare(&cli.manifest, &req, &pkgforge::bump::Env::from_process())?;
            for w in &bump.warnings {
                eprintln!("warning: {w}");
            }
            if args.dry_run {
                print_diff(cli, &output::diff(&bump.plan));
                if !cli.quiet {
                    eprintln!(
                        "dry run: {} files would change; nothing was written",
                        bump.plan.changes.len()
                    );
                }
                return Ok(0);
            }
            let dir = cli.manifest.parent().unwrap_or(std::path::Path::new(""));
            output::apply(dir, &bump.plan).map_err(Error::Other)?;
            if !cli.quiet {
                let pin = bump
                    .commit
                    .as_ref()
                    .map(|c| format!("commit {c}"))
                    .or_else(|| bump.sha256.as_ref().map(|s| format!("sha256 {s}")))
                    .unwrap_or_default();
                eprintln!(
                    "bumped {} from {} to {} ({pin})",
                    bump.upstream, bump.from, bump.to
                );
                if let Some(key) = &bump.signed_by {
                    eprintln!("the release's signature verifies with key {key}");
                }
                if let Some(series) = &bump.archived {
                    eprintln!("archived series {series} in obs/_archive/{series}/");
                }
                eprintln!(
                    "{} files changed; review with `git diff`, then `osc addremove && osc commit`",
                    bump.plan.changes.len()
                );
            }
            Ok(0)
        }
        Command::Watch(args) => watch(cli, args),
        Command::Resolve(args) => resolve(cli, args),
        Command::Verify(args) => {
            warn_pending(cli);
            let project = Project::load(&cli.manifest)?;
            let upstreams = select_upstreams(&project.model, &args.upstreams)?;
            let now = jiff::Timestamp::now().as_second();
            let reports = pkgforge::verify::audit(&project.model, &upstreams, now);
            if args.json {
                let json = serde_json::to_string_pretty(&reports).map_err(anyhow::Error::from)?;
                println!("{json}");
            } else {
                print!("{}", pkgforge::verify::table(&reports));
            }
            Ok(pkgforge::verify::exit_code(&reports))
        }
        Command::Archive(ArchiveCommand::List) => {
            let project = Project::load(&cli.manifest)?;
            print!("{}", pkgforge::archive::table(&project.model));
            Ok(0)
        }
        Command::Archive(ArchiveCommand::Prune { series, upstream }) => {
            let _lock = lock_and_recover(cli)?;
            let plan = pkgforge::archive::prune(&cli.manifest, series, upstream.as_deref())?;
            let dir = cli.manifest.parent().unwrap_or(std::path::Path::new(""));
            output::apply(dir, &plan).map_err(Error::Other)?;
            if !cli.quiet {
                eprintln!(
                    "pruned series {series}: {} files changed",
                    plan.changes.len()
                );
            }
            Ok(0)
        }
        Command::Check => {
            warn_pending(cli);
            let project = Project::load(&cli.manifest)?;
            project.render()?;
            for hint in project.templates.hints() {
                if hint.is_warning() || !cli.quiet {
                    eprintln!("{hint}");
                }
            }
            if !cli.quiet {
                eprintln!(
                    "{} is valid: {} packages, {} targets",
                    cli.manifest.display(),
                    project.model.packages.len(),
                    project.model.project.targets.len()
                );
            }
            Ok(0)
        }
        Command::Diff(sel) => {
            warn_pending(cli);
            let project = Project::load(&cli.manifest)?;
            let selection = project.select(&sel.distros, &sel.packages)?;
            let plan = project.plan(&selection, None)?;
            print_diff(cli, &output::diff(&plan));
            Ok(0)
        }
        Command::Render(args) => {
            let (_lock, recovered) = if args.check {
                warn_pending(cli);
                (None, false)
            } else {
                let (lock, recovered) = lock_and_recover(cli)?;
                (Some(lock), recovered)
            };
            let everything = args.select.distros.is_empty() && args.select.packages.is_empty();
            // After a completed bump every output is rendered again: no cache.
            let (project, reuse) =
                match Project::for_render(&cli.manifest, everything && !recovered)? {
                    pkgforge::app::ForRender::Fresh(fresh) => {
                        // Nothing changed since the last complete render: no need to render.
                        if args.check {
                            if !cli.quiet {
                                eprintln!("all {} rendered files are up to date", fresh.outputs);
                            }
                            return Ok(0);
                        }
                        for w in &fresh.warnings {
                            eprintln!("{w}");
                        }
                        if !cli.quiet {
                            eprintln!(
                                "rendered: 0 created, 0 updated, 0 removed, {} unchanged",
                                fresh.outputs
                            );
                        }
                        return Ok(0);
                    }
                    pkgforge::app::ForRender::Load(project, reuse) => (project, reuse),
                };
            let mut selection = project.select(&args.select.distros, &args.select.packages)?;
            if recovered {
                // The inputs just moved: a partial render would leave other files stale.
                selection = project.select(&[], &[])?;
            }
            let plan = match args.check {
                true => project.plan(&selection, reuse.as_ref())?,
                false => project.plan_staged(&selection, reuse.as_ref())?,
            };
            if args.check {
                if plan.changes.is_empty() {
                    if !cli.quiet {
                        eprintln!("all {} rendered files are up to date", plan.unchanged);
                    }
                    return Ok(0);
                }
                print_diff(cli, &output::diff(&plan));
                if !cli.quiet {
                    eprintln!(
                        "{} files are out of date; run `pkgforge render` to regenerate them",
                        plan.changes.len()
                    );
                }
                return Ok(1);
            }
            project.apply(&plan)?;
            for w in pkgforge::archive::warnings(&project.model) {
                eprintln!("{w}");
            }
            if cli.verbose {
                eprintln!(
                    "rendered {} of {} units; the render cache proved the others current",
                    plan.rendered_units, plan.units
                );
                for c in &plan.changes {
                    let verb = match c.kind {
                        Kind::Create => "created",
                        Kind::Update => "updated",
                        Kind::Remove => "removed",
                    };
                    eprintln!("{verb} {}", c.path.display());
                }
            }
            if !cli.quiet {
                let count = |k: Kind| plan.changes.iter().filter(|c| c.kind == k).count();
                eprintln!(
                    "rendered: {} created, {} updated, {} removed, {} unchanged",
                    count(Kind::Create),
                    count(Kind::Update),
                    count(Kind::Remove),
                    plan.unchanged
                );
            }
            // The process ends here: freeing a large render's tens of thousands of
            // allocations one by one would only add time (the lock is released on drop).
            std::mem::forget(plan);
            std::mem::forget(project);
            std::mem::forget(reuse);
            Ok(0)
        }
    }
}

fn resolve(cli: &Cli, args: &cli::ResolveArgs) -> Result<u8, Error> {
    use pkgforge::resolve;
    warn_pending(cli);
    let project = Project::load(&cli.manifest)?;
    let targets = pkgforge::app::select_targets(&project.model, &args.distros)?;
    if let Some(a) = &args.arch {
        if !pkgforge::distro::KNOWN_ARCHS.contains(&a.as_str()) || a == "noarch" {
            return Err(Error::usage(format!(
                "--arch {a}: not an architecture\n  = note: use an rpm name: {}",
                pkgforge::distro::KNOWN_ARCHS[..8].join(", ")
            )));
        }
    }
    let outputs = project.render()?;
    let mut mirror = pkgforge::watch::mirror::Mirror::new(
        &project.model.dir,
        std::time::Duration::from_secs(args.timeout.max(1)),
    )?;
    mirror.progress &= !cli.quiet;
    let mut reports = Vec::new();
    for t in targets {
        let arch = resolve::arch_for(&project.model, t, args.arch.as_deref());
        if !cli.quiet {
            eprintln!("resolving {} ({arch})", t.id);
        }
        reports.push(resolve::check_target(
            &project.model,
            &outputs,
            t,
            &arch,
            &mirror,
        ));
    }
    if let Err(e) = mirror.save() {
        eprintln!("warning: cannot save the resolve cache: {e:#}");
    }
    if cli.verbose {
        use std::sync::atomic::Ordering::Relaxed;
        eprintln!(
            "{} requests, {} answered 304 Not Modified, {} indexes taken from the cache",
            mirror.requests.load(Relaxed),
            mirror.not_modified.load(Relaxed),
            mirror.cached.load(Relaxed)
        );
    }
    if args.json {
        println!("{}", resolve::json(&reports).map_err(anyhow::Error::from)?);
    } else {
        print!("{}", resolve::text(&reports));
    }
    let unmet: usize = reports.iter().map(|r| r.problems.len()).sum();
    let unchecked = reports.iter().filter(|r| r.error.is_some()).count();
    if unmet > 0 {
        eprintln!("error: {unmet} requirements cannot be met");
        return Ok(2);
    }
    if unchecked > 0 {
        eprintln!("error: {unchecked} targets could not be checked");
        return Ok(3);
    }
    Ok(0)
}

/// The upstreams named by `--upstream` arguments, or all of them.
fn select_upstreams<'a>(
    model: &'a pkgforge::manifest::Model,
    names: &[String],
) -> Result<Vec<&'a pkgforge::manifest::Upstream>, Error> {
    let mut upstreams = Vec::new();
    for name in names {
        match model.upstream(name) {
            Some(u) => upstreams.push(u),
            None => {
                return Err(Error::usage(format!(
                    "--upstream {name}: the manifest has no such upstream\n  = note: upstreams: {}",
                    model
                        .upstreams
                        .iter()
                        .map(|u| u.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )))
            }
        }
    }
    if upstreams.is_empty() {
        upstreams = model.upstreams.iter().collect();
    }
    Ok(upstreams)
}

fn watch(cli: &Cli, args: &cli::WatchArgs) -> Result<u8, Error> {
    use pkgforge::watch::{cache, check, fetch};
    // Taken before loading, so the bumps apply to the manifest the checks read.
    let _lock = if args.apply {
        Some(lock_and_recover(cli)?)
    } else {
        warn_pending(cli);
        None
    };
    let project = Project::load(&cli.manifest)?;
    let model = &project.model;
    let upstreams = select_upstreams(model, &args.upstreams)?;
    let env = pkgforge::bump::Env::from_process();
    let (cache, warning) = cache::Cache::load(&model.dir);
    if let Some(w) = warning {
        eprintln!("warning: {w}");
    }
    let api = pkgforge::remote::github_api(
        env.github_api.as_deref(),
        model.project.github_api.as_deref(),
        env.github_token.as_deref(),
    );
    let fetcher = fetch::Fetcher::new(
        std::time::Duration::from_secs(args.timeout.max(1)),
        api.token,
        cache,
    )?;
    let bar = if std::io::stderr().is_terminal() && !cli.quiet {
        let b = indicatif::ProgressBar::new(upstreams.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} checking upstreams {pos}/{len} {wide_bar} {elapsed}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(b)
    } else {
        None
    };
    let opts = check::Options {
        upstreams,
        jobs: args.jobs,
        github_api: api.base,
    };
    let mut reports = check::run(model, &opts, &fetcher, &|| {
        if let Some(b) = &bar {
            b.inc(1);
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if let Ok(c) = fetcher.cache.lock() {
        if let Err(e) = c.save(&model.dir) {
            eprintln!("warning: cannot save the watch cache: {e:#}");
        }
    }
    if cli.verbose {
        eprintln!(
            "{} requests, {} answered 304 Not Modified",
            fetcher.requests.load(std::sync::atomic::Ordering::Relaxed),
            fetcher
                .not_modified
                .load(std::sync::atomic::Ordering::Relaxed)
        );
    }

    if args.apply {
        apply_updates(cli, args, &mut reports, &env)?;
    }

    if args.json {
        let json = serde_json::to_string_pretty(&reports).map_err(anyhow::Error::from)?;
        println!("{json}");
    } else {
        print!("{}", check::table(&reports));
    }
    let moved = reports
        .iter()
        .any(|r| !r.moved_tags.is_empty() || r.refused());
    let failed = reports.iter().any(|r| r.error.is_some());
    let pending = reports.iter().any(|r| r.has_update() && !r.applied);
    Ok(if moved {
        4
    } else if failed {
        3
    } else if pending && !args.apply {
        1
    } else {
        0
    })
}

/// Bump every upstream with an allowed newer release through the same code as `bump`,
/// optionally committing each bump to a branch and leaving the checkout as it was.
fn apply_updates(
    cli: &Cli,
    args: &cli::WatchArgs,
    reports: &mut [pkgforge::watch::check::Report],
    env: &pkgforge::bump::Env,
) -> Result<(), Error> {
    use pkgforge::watch::branch;
    let dir = cli
        .manifest
        .parent()
        .unwrap_or(std::path::Path::new(""))
        .to_path_buf();
    // The render cache as it was, for the checkout to go back to with the rest.
    let cache_path = std::path::PathBuf::from(output::cache::FILE);
    let cache_before = std::fs::read(dir.join(&cache_path)).ok();
    let repo = match &args.commit_branch {
        Some(name) => {
            let repo = branch::open(&dir)?;
            let checked_out = repo
                .head()
                .map_err(anyhow::Error::from)?
                .shorthand()
                .ok()
                .map(str::to_string);
            if checked_out.as_deref() == Some(name.as_str()) {
                return Err(Error::usage(format!(
                    "--commit-branch {name} is the branch checked out; name another branch"
                )));
            }
            Some(repo)
        }
        None => None,
    };
    let mut parent: Option<git2::Oid> = match &repo {
        Some(r) => Some(
            r.head()
                .and_then(|h| h.peel_to_commit())
                .map_err(anyhow::Error::from)?
                .id(),
        ),
        None => None,
    };
    let mut originals: Vec<&output::Change> = Vec::new();
    let mut bumps = Vec::new();
    for r in reports.iter_mut().filter(|r| r.has_update()) {
        let Some(version) = r.newest_allowed.clone() else {
            continue;
        };
        let req = pkgforge::bump::Request {
            upstream: Some(r.upstream.clone()),
            version: version.clone(),
            commit: r.newest_commit.clone(),
            ..Default::default()
        };
        let bump = match pkgforge::bump::prepare(&cli.manifest, &req, env) {
            Ok(b) => b,
            Err(Error::Unverified(m)) => {
                r.signature = Some(pkgforge::watch::check::SignatureCheck {
                    version: version.clone(),
                    status: "refused".to_string(),
                    key: None,
                    message: Some(m.trim_start_matches("error: ").to_string()),
                });
                continue;
            }
            Err(e) => {
                r.error = Some(format!(
                    "bump to {version} failed: {}",
                    e.to_string().trim_start_matches("error: ")
                ));
                continue;
            }
        };
        if let Err(e) = output::apply(&dir, &bump.plan) {
            r.error = Some(format!("bump to {version} failed: {e:#}"));
            continue;
        }
        r.applied = true;
        if !cli.quiet {
            eprintln!("bumped {} from {} to {}", bump.upstream, bump.from, bump.to);
        }
        if let (Some(repo), Some(name), Some(p)) = (&repo, &args.commit_branch, parent) {
            let paths: Vec<std::path::PathBuf> =
                bump.plan.changes.iter().map(|c| c.path.clone()).collect();
            let message = format!(
                "Update {} to {}\n\n{}\n",
                bump.upstream,
                bump.to,
                bump.changes
                    .iter()
                    .map(|c| format!("- {}", c.trim()))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
            let parent_commit = repo.find_commit(p).map_err(anyhow::Error::from)?;
            let oid = branch::commit_files(repo, &dir, &parent_commit, &paths, name, &message)?;
            parent = Some(oid);
        }
        bumps.push(bump);
    }
    if let (Some(name), Some(oid)) = (&args.commit_branch, parent) {
        // The checkout goes back to what it was: the changes live on the branch only.
        // One plan through the same journaled writer, so a kill cannot leave the manifest
        // and the changelog apart.
        for c in bumps.iter().flat_map(|b| &b.plan.changes) {
            if !originals.iter().any(|o| o.path == c.path) {
                originals.push(c);
            }
        }
        let mut restore = output::Plan::default();
        for o in originals {
            let full = dir.join(&o.path);
            let current = std::fs::read(&full).ok();
            let kind = match (&current, &o.old) {
                (_, None) => Kind::Remove,
                (None, Some(_)) => Kind::Create,
                (Some(_), Some(_)) => Kind::Update,
            };
            restore.changes.push(output::Change {
                path: o.path.clone(),
                kind,
                old: current,
                new: o.old.clone(),
                executable: o.old_executable,
                old_executable: o.executable,
                input: o.input,
                staged: false,
            });
        }
        let cache_now = std::fs::read(dir.join(&cache_path)).ok();
        if cache_now != cache_before {
            restore.changes.push(output::Change {
                path: cache_path,
                kind: match (&cache_now, &cache_before) {
                    (_, None) => Kind::Remove,
                    (None, Some(_)) => Kind::Create,
                    (Some(_), Some(_)) => Kind::Update,
                },
                old: cache_now,
                new: cache_before,
                executable: false,
                old_executable: false,
                input: false,
                staged: false,
            });
        }
        output::apply(&dir, &restore)?;
        if !cli.quiet && reports.iter().any(|r| r.applied) {
            eprintln!("committed to branch {name} ({oid}); push it and open a pull request");
        }
    }
    Ok(())
}
