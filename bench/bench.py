"""pkgforge's benchmarks: render against the filesystem floor and renderspec, watch
against nvchecker. Run through bench/run.sh, which builds and installs what this uses.

Every comparison is measured side by side in the same run, interleaved, and reported
as the median of --runs runs. See bench/README.md.
"""
import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def median(xs):
    return statistics.median(xs) if xs else float("nan")


# ---------------------------------------------------------------------------------
# measuring

def timed(cmd, cwd=None, env=None, expect=(0,)):
    """Run cmd under /usr/bin/time -v: (wall seconds, peak RSS KiB, stdout, stderr)."""
    full = ["/usr/bin/time", "-v"] + cmd
    start = time.perf_counter()
    p = subprocess.run(full, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if p.returncode not in expect:
        sys.exit(f"{' '.join(cmd)} exited {p.returncode}:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    rss = int(m.group(1)) if m else 0
    # /usr/bin/time appends its report to the command's stderr
    err = p.stderr.split("\tCommand being timed:")[0]
    return wall, rss, p.stdout, err, p.returncode


def snapshot(root):
    """path -> (inode, mtime_ns, size) of every file below root except the inputs."""
    out = {}
    skip = {"packages.toml", "changelog.toml"}
    inputs = ("patches", "templates")

    def walk(d, rel):
        with os.scandir(d) as it:
            for e in it:
                r = os.path.join(rel, e.name) if rel else e.name
                if e.is_dir(follow_symlinks=False):
                    if r not in inputs:
                        walk(e.path, r)
                elif r not in skip:
                    st = e.stat(follow_symlinks=False)
                    out[r] = (st.st_ino, st.st_mtime_ns, st.st_size)

    walk(root, "")
    return out


def written(before, after):
    """(rendered files, bookkeeping files) created or replaced between two snapshots; a
    rename gives a new inode. Bookkeeping: .pkgforge-outputs, .pkgforge.render-cache."""
    changed = [p for p, s in after.items() if before.get(p) != s]
    book = [p for p in changed if p.startswith(".pkgforge")]
    return len(changed) - len(book), len(book)


def copy_inputs(src, dst):
    if os.path.exists(dst):
        shutil.rmtree(dst)
    os.makedirs(dst)
    for f in ("packages.toml", "changelog.toml"):
        shutil.copy(os.path.join(src, f), dst)
    if os.path.isdir(os.path.join(src, "patches")):
        shutil.copytree(os.path.join(src, "patches"), os.path.join(dst, "patches"))


def floor(tools, *args):
    p = subprocess.run([os.path.join(tools, "floor"), *args], capture_output=True, text=True, check=True)
    op, files, size, secs = p.stdout.split()
    return float(secs), int(files), int(size)


# ---------------------------------------------------------------------------------
# render

def change_one_package(manifest, index):
    """Edit the summary of the index-th package; return the original text."""
    with open(manifest) as f:
        text = f.read()
    starts = [m.start() for m in re.finditer(r"^\[\[packages\]\]$", text, re.M)]
    at = starts[index]
    m = re.compile(r'^summary = "([^"]*)"$', re.M).search(text, at)
    new = text[: m.start()] + f'summary = "{m.group(1)} (changed)"' + text[m.end():]
    with open(manifest, "w") as f:
        f.write(new)
    return text


def bump_one_upstream(tree, index):
    """Bump the upstream of the index-th package to a new version, with a changelog entry
    on top, as a maintainer's bump does (without archiving): every package of that
    upstream changes. Return the original manifest and changelog, and the package count."""
    manifest = os.path.join(tree, "packages.toml")
    changelog = os.path.join(tree, "changelog.toml")
    with open(manifest) as f:
        text = f.read()
    with open(changelog) as f:
        log = f.read()
    starts = [m.start() for m in re.finditer(r"^\[\[packages\]\]$", text, re.M)]
    upstream = re.compile(r'^upstream = "([^"]*)"$', re.M).search(text, starts[index]).group(1)
    head = re.compile(r"^\[upstreams\." + re.escape(upstream) + r"\]$", re.M).search(text)
    m = re.compile(r'^version = "([^"]*)"$', re.M).search(text, head.end())
    new = m.group(1) + ".1"
    with open(manifest, "w") as f:
        f.write(text[: m.start()] + f'version = "{new}"' + text[m.end():])
    entry = (f'[[entry]]\nupstream = "{upstream}"\nversion = "{new}"\ndate = "2030-01-01T00:00:00Z"\n'
             f'author = "Bench Packagers <bench@example.org>"\nchanges = ["Update to version {new}"]\n\n')
    with open(changelog, "w") as f:
        f.write(entry + log)
    count = len(re.findall(r'^upstream = "' + re.escape(upstream) + '"$', text, re.M))
    return text, log, count


def edit_template(tree):
    """Override the spec template with the built-in one plus a comment line: every
    package's specs change."""
    with open(os.path.join(HERE, "..", "templates", "spec.tera")) as f:
        text = f.read()
    os.makedirs(os.path.join(tree, "templates"), exist_ok=True)
    with open(os.path.join(tree, "templates", "spec.tera"), "w") as f:
        f.write("# Edited template.\n" + text)


def binaries(a):
    """The pkgforge builds measured, each under a label."""
    out = [("pkgforge", a.pkgforge)]
    if a.compare:
        out.append((a.compare_label, a.compare))
    return out


def bench_render(a, work):
    tools, pkgforge = a.tools, a.pkgforge
    gen_dir = os.path.join(work, "manifest")
    log(f"== generating {a.packages} packages into {gen_dir}")
    if os.path.exists(gen_dir):
        shutil.rmtree(gen_dir)
    subprocess.run([os.path.join(tools, "gen"), "--out", gen_dir, "--packages", str(a.packages)], check=True)
    # The reference tree: the files the floor writes and reads.
    ref = os.path.join(work, "ref")
    copy_inputs(gen_dir, ref)
    subprocess.run([pkgforge, "-q", "render"], cwd=ref, check=True)
    ref_snap = snapshot(ref)
    n_files = len([p for p in ref_snap if not p.startswith(".pkgforge")])
    n_specs = len([p for p in ref_snap if p.endswith(".spec")])
    log(f"   {n_files} rendered files, {n_specs} spec files")

    fl = os.path.join(work, "floor")
    r = {"floor_write": [], "floor_read": [], "files": n_files, "specs": n_specs, "bins": {}}
    keys = ("cold", "noop", "check", "one", "bump", "template")
    for label, _ in binaries(a):
        r["bins"][label] = {k: [] for k in keys + tuple(k + "_rss" for k in keys)
                            + tuple(k + "_written" for k in keys)}

    def run(label, exe, key, tree, args, expect=(0,)):
        before = snapshot(tree)
        wall, rss, _, _, _ = timed([exe, *args], cwd=tree, expect=expect)
        b = r["bins"][label]
        b[key].append(wall)
        b[key + "_rss"].append(rss)
        b[key + "_written"].append(written(before, snapshot(tree)))

    for i in range(a.runs):
        log(f"== render run {i + 1}/{a.runs}")
        # floor: write the same files atomically into an empty tree
        if os.path.exists(fl):
            shutil.rmtree(fl)
        secs, files, _ = floor(tools, "write", ref, fl)
        assert files == n_files, (files, n_files)
        r["floor_write"].append(secs)
        # cold: the same files, from the manifest, into an empty tree
        for label, exe in binaries(a):
            tree = os.path.join(work, "tree-" + label)
            copy_inputs(gen_dir, tree)
            run(label, exe, "cold", tree, ["render"])
        # floor: read them back
        secs, files, _ = floor(tools, "read", fl)
        r["floor_read"].append(secs)
        for label, exe in binaries(a):
            tree = os.path.join(work, "tree-" + label)
            # no-op, then render --check on the same tree (exit 0, nothing to print)
            run(label, exe, "noop", tree, ["render"])
            run(label, exe, "check", tree, ["render", "--check"])
            # one package changed (its summary), then back (untimed)
            manifest = os.path.join(tree, "packages.toml")
            original = change_one_package(manifest, a.packages // 2)
            run(label, exe, "one", tree, ["render"])
            with open(manifest, "w") as f:
                f.write(original)
            subprocess.run([exe, "-q", "render"], cwd=tree, check=True)
            # one upstream bumped (all its packages), then back (untimed)
            text, old_log, count = bump_one_upstream(tree, a.packages // 3)
            r["bump_packages"] = count
            run(label, exe, "bump", tree, ["render"])
            with open(manifest, "w") as f:
                f.write(text)
            with open(os.path.join(tree, "changelog.toml"), "w") as f:
                f.write(old_log)
            subprocess.run([exe, "-q", "render"], cwd=tree, check=True)
            # a template edited (every package), then back (untimed)
            edit_template(tree)
            run(label, exe, "template", tree, ["render"])
            shutil.rmtree(os.path.join(tree, "templates"))
            subprocess.run([exe, "-q", "render"], cwd=tree, check=True)
    return r


def bench_scale(a, work):
    """Cold renders of growing manifests, each against the floor's atomic writes of the
    same files: time and peak RSS."""
    res = {}
    for n in a.scale:
        gen_dir = os.path.join(work, f"scale-{n}")
        if os.path.exists(gen_dir):
            shutil.rmtree(gen_dir)
        subprocess.run([os.path.join(a.tools, "gen"), "--out", gen_dir, "--packages", str(n)], check=True,
                       capture_output=True)
        ref = os.path.join(work, f"scale-{n}-ref")
        copy_inputs(gen_dir, ref)
        subprocess.run([a.pkgforge, "-q", "render"], cwd=ref, check=True)
        files = len([p for p in snapshot(ref) if not p.startswith(".pkgforge")])
        r = {"files": files, "floor": [], "cold": [], "cold_rss": []}
        fl = os.path.join(work, f"scale-{n}-floor")
        tree = os.path.join(work, f"scale-{n}-tree")
        for i in range(a.runs):
            log(f"== scale {n} run {i + 1}/{a.runs}")
            if os.path.exists(fl):
                shutil.rmtree(fl)
            secs, got, _ = floor(a.tools, "write", ref, fl)
            assert got == files, (got, files)
            r["floor"].append(secs)
            copy_inputs(gen_dir, tree)
            wall, rss, _, _, _ = timed([a.pkgforge, "render"], cwd=tree)
            r["cold"].append(wall)
            r["cold_rss"].append(rss)
        for d in (fl, tree, ref):
            shutil.rmtree(d)
        res[n] = r
    return res


# ---------------------------------------------------------------------------------
# renderspec

def to_template(spec):
    """pkgforge's OBS spec as an equivalent renderspec .spec.j2 template: the values in
    variables, the dependency and file lists in loops, the license through renderspec's
    license() mapping."""
    out, sets = [], []
    lines = spec.split("\n")
    i = 0
    brs, reqs = [], []
    in_files = False
    files = []

    def lit(line):
        if "{{" in line or "{%" in line or "{#" in line:
            return "{% raw %}" + line + "{% endraw %}"
        return line

    while i < len(lines):
        line = lines[i]
        if line.startswith("Name:"):
            sets.append(("name", line.split(None, 1)[1]))
            out.append("Name:           {{ name }}")
        elif line.startswith("Version:"):
            sets.append(("version", line.split(None, 1)[1]))
            out.append("Version:        {{ version }}")
        elif line.startswith("Summary:") and not sets_has(sets, "summary"):
            sets.append(("summary", line.split(None, 1)[1]))
            out.append("Summary:        {{ summary }}")
        elif line.startswith("License:"):
            out.append("License:        {{ license('%s') }}" % line.split(None, 1)[1])
        elif line.startswith("BuildRequires:") and not brs_done(out):
            # the unconditional block: collected, written as one loop
            while i < len(lines) and lines[i].startswith("BuildRequires:"):
                brs.append(lines[i].split(None, 1)[1])
                i += 1
            out.append("{% for r in build_requires %}\nBuildRequires:  {{ r }}\n{% endfor %}")
            out.append("{#brs#}")
            continue
        elif line.startswith("Requires:") and not reqs:
            while i < len(lines) and lines[i].startswith("Requires:"):
                reqs.append(lines[i].split(None, 1)[1])
                i += 1
            out.append("{% for r in requires %}\nRequires:       {{ r }}\n{% endfor %}")
            continue
        elif line == "%files" and not in_files:
            in_files = True
            out.append(line)
            i += 1
            while i < len(lines) and lines[i] and not lines[i].startswith("%changelog") and not lines[i].startswith("%package") and not lines[i].startswith("%files"):
                files.append(lines[i])
                i += 1
            out.append("{% for f in files %}\n{{ f }}\n{% endfor %}")
            continue
        else:
            out.append(lit(line))
        i += 1
    out = [x for x in out if x != "{#brs#}"]
    head = []
    for k, v in sets:
        head.append("{%% set %s = %s %%}" % (k, json.dumps(v)))
    head.append("{%% set build_requires = %s %%}" % json.dumps(brs))
    head.append("{%% set requires = %s %%}" % json.dumps(reqs))
    head.append("{%% set files = %s %%}" % json.dumps(files))
    return "\n".join(head) + "\n" + "\n".join(out)


def sets_has(sets, k):
    return any(x == k for x, _ in sets)


def brs_done(out):
    return "{#brs#}" in out


def bench_renderspec(a, work, render):
    ref = os.path.join(work, "ref")
    in_dir = os.path.join(work, "renderspec", "in")
    if os.path.exists(in_dir):
        shutil.rmtree(in_dir)
    os.makedirs(in_dir)
    pkgs = sorted(d for d in os.listdir(os.path.join(ref, "obs"))
                  if os.path.exists(os.path.join(ref, "obs", d, d + ".spec")))
    for p in pkgs:
        with open(os.path.join(ref, "obs", p, p + ".spec")) as f:
            t = to_template(f.read())
        with open(os.path.join(in_dir, p + ".spec.j2"), "w") as f:
            f.write(t)
    # Sanity: renderspec gives back pkgforge's spec for the first template.
    py = a.python
    script = os.path.join(HERE, "renderspec_bench.py")
    res = {"inproc": [], "perproc": []}
    for i in range(a.runs):
        log(f"== renderspec run {i + 1}/{a.runs}")
        out = os.path.join(work, "renderspec", "out")
        if os.path.exists(out):
            shutil.rmtree(out)
        p = subprocess.run([py, script, "inproc", in_dir, out], capture_output=True, text=True, check=True)
        j = json.loads(p.stdout)
        res["inproc"].append(j["specs"] / j["seconds"])
        if i == 0:
            same = sum(
                1 for p_ in pkgs
                if open(os.path.join(out, p_ + ".spec")).read().rstrip("\n")
                == open(os.path.join(ref, "obs", p_, p_ + ".spec")).read().rstrip("\n"))
            res["identical"] = same
            res["templates"] = len(pkgs)
        p = subprocess.run([py, script, "perproc", in_dir, out + "-pp", str(a.perproc)],
                           capture_output=True, text=True, check=True)
        j = json.loads(p.stdout)
        res["perproc"].append(j["specs"] / j["seconds"])
    return res


# ---------------------------------------------------------------------------------
# watch

def git(*args, cwd=None):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def start_httpd(tools, delay):
    p = subprocess.Popen([os.path.join(tools, "httpd"), "--delay-ms", str(delay)],
                         stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline().split()
    assert line[0] == "listening", line
    return p, line[1]


def stats(addr, reset=False):
    with urllib.request.urlopen(f"http://{addr}/{'_reset' if reset else '_stats'}") as r:
        return json.loads(r.read())


def bench_watch(a, work):
    wdir = os.path.join(work, "watch")
    if os.path.exists(wdir):
        shutil.rmtree(wdir)
    os.makedirs(wdir)
    # One small local repository serves every upstream's tags.
    src = os.path.join(wdir, "src")
    os.makedirs(src)
    env = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@example.org",
               GIT_COMMITTER_NAME="b", GIT_COMMITTER_EMAIL="b@example.org",
               GIT_AUTHOR_DATE="2026-01-01T00:00:00Z", GIT_COMMITTER_DATE="2026-01-01T00:00:00Z")
    subprocess.run(["git", "init", "-q", "-b", "main", src], check=True)
    with open(os.path.join(src, "README"), "w") as f:
        f.write("bench\n")
    subprocess.run(["git", "add", "README"], cwd=src, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "one"], cwd=src, check=True, env=env)
    for t in ("v1.0.0", "v1.0.2", "v1.1.0", "v1.2.0"):
        subprocess.run(["git", "tag", t], cwd=src, check=True)
    repo = os.path.join(wdir, "repo.git")
    subprocess.run(["git", "clone", "-q", "--bare", src, repo], check=True)
    commit = git("rev-parse", "v1.0.2^{commit}", cwd=src)
    mdir = os.path.join(wdir, "manifest")
    n = a.upstreams
    subprocess.run([os.path.join(a.tools, "gen"), "--out", mdir, "--packages", str(n), "--upstreams", str(n),
                    "--rootfs", "0", "--watch-git", "file://" + repo, "--watch-commit", commit], check=True)
    manifest = os.path.join(mdir, "packages.toml")
    text = open(manifest).read()
    names = re.findall(r"^\[upstreams\.([^\]]+)\]$", text, re.M)
    assert len(names) == n
    # Every upstream gets a repository of its own (copies of the small one), so no run
    # can profit from several upstreams sharing one.
    repos = os.path.join(wdir, "repos")
    os.makedirs(repos)
    for u in names:
        shutil.copytree(repo, os.path.join(repos, u + ".git"))
    text = re.sub(r'^(\[upstreams\.([^\]]+)\]\ngit = )"[^"]*"',
                  lambda m: f'{m.group(1)}"file://{repos}/{m.group(2)}.git"', text, flags=re.M)
    assert text.count(f"file://{repos}/") == n
    with open(manifest, "w") as f:
        f.write(text)
    # The same upstreams as release tarballs with GitHub releases and no git repository:
    # what the git tag listing (and the moved-tag check) costs.
    gh_dir = os.path.join(wdir, "github-only")
    subprocess.run([os.path.join(a.tools, "gen"), "--out", gh_dir, "--packages", str(n), "--upstreams", str(n),
                    "--rootfs", "0", "--watch-github-only"], check=True)

    httpd, addr = start_httpd(a.tools, a.delay)
    try:
        # nvchecker: the same releases lists through its regex source, at its default
        # concurrency of 20.
        conf = os.path.join(wdir, "nvchecker.toml")
        with open(conf, "w") as f:
            f.write("[__config__]\nmax_concurrency = 20\n\n")
            for u in names:
                f.write(f'[{json.dumps(u)}]\nsource = "regex"\n'
                        f'url = "http://{addr}/repos/bench/{u}/releases?per_page=100"\n'
                        "regex = '\"tag_name\":\"v([0-9.]+)\"'\n\n")
        nv = os.path.join(os.path.dirname(a.python), "nvchecker")
        env = dict(os.environ, PKGFORGE_GITHUB_API=f"http://{addr}")
        env.pop("GITHUB_TOKEN", None)
        res = {"nvchecker": [], "nv_found": [], "bins": {}}
        for label, _ in binaries(a):
            res["bins"][label] = {k: [] for k in ("first", "second", "first_rss", "second_rss", "second_304",
                                                  "second_requests", "github_only")}

        def watch(label, exe, d, fresh):
            cache = os.path.join(d, ".pkgforge-watch-cache.json")
            if fresh and os.path.exists(cache):
                os.remove(cache)
            stats(addr, reset=True)
            # exit 1: updates are available (1.5.0 for every upstream)
            wall, rss, out, err, _ = timed([exe, "-v", "watch", "--jobs", "20"], cwd=d, env=env, expect=(1,))
            assert out.count("bump to 1.5.0") == n, out[-2000:]
            m = re.search(r"(\d+) requests, (\d+) answered 304 Not Modified", err)
            s = stats(addr, reset=True)
            assert s["requests"] == n, s
            return wall, rss, int(m.group(1)), int(m.group(2)), s

        for i in range(a.runs):
            log(f"== watch run {i + 1}/{a.runs}")
            for label, exe in binaries(a):
                b = res["bins"][label]
                wall, rss, _, _, _ = watch(label, exe, mdir, True)
                b["first"].append(wall)
                b["first_rss"].append(rss)
                wall, rss, req, nm, s = watch(label, exe, mdir, False)
                assert s["not_modified"] == n, s
                b["second"].append(wall)
                b["second_rss"].append(rss)
                b["second_requests"].append(req)
                b["second_304"].append(nm)
                wall, _, _, _, _ = watch(label, exe, gh_dir, True)
                b["github_only"].append(wall)
            wall, rss, out, err, _ = timed([nv, "-c", conf, "--logger", "json"], cwd=wdir)
            res["nvchecker"].append(wall)
            found = len([ln for ln in out.splitlines() if '"version": "1.5.0"' in ln])
            res["nv_found"].append(found)
            stats(addr, reset=True)
    finally:
        httpd.send_signal(signal.SIGTERM)
        httpd.wait()
    return res


# ---------------------------------------------------------------------------------
# report

def table(a, render, rs, watch, scale=None):
    rows = []
    if render:
        fw, fr = median(render["floor_write"]), median(render["floor_read"])
        rows.append(("render: floor, atomic writes (temp + rename)", f"{fw:.3f} s", f"{render['files']} files",
                     "", ""))
        rows.append(("render: floor, reading back", f"{fr:.3f} s", f"{render['files']} files", "", ""))
        for label, _ in binaries(a):
            b = render["bins"][label]

            def w(key):
                files = [x[0] for x in b[key + "_written"]]
                book = [x[1] for x in b[key + "_written"]]
                return f"{median(files):.0f} written (+{median(book):.0f} bookkeeping)"

            mib = lambda k: f"{max(b[k]) / 1024:.1f} MiB"
            rows.append((f"render: {label}, cold", f"{median(b['cold']):.3f} s", w("cold"),
                         f"{median(b['cold']) / fw:.2f}x floor write", mib("cold_rss")))
            noop_max = max(x[0] + x[1] for x in b["noop_written"])
            rows.append((f"render: {label}, no-op", f"{median(b['noop']):.3f} s",
                         f"{noop_max} written in any run",
                         f"{median(b['noop']) / fr:.2f}x floor read", mib("noop_rss")))
            rows.append((f"render --check: {label}, up to date", f"{median(b['check']):.3f} s", w("check"),
                         f"{median(b['check']) / fr:.2f}x floor read", mib("check_rss")))
            rows.append((f"render: {label}, one package changed", f"{median(b['one']):.3f} s", w("one"),
                         f"{median(b['one']) / median(b['noop']):.2f}x no-op", mib("one_rss")))
            rows.append((f"render: {label}, one upstream bumped ({render.get('bump_packages', '?')} packages)",
                         f"{median(b['bump']):.3f} s", w("bump"),
                         f"{median(b['bump']) / median(b['noop']):.2f}x no-op", mib("bump_rss")))
            rows.append((f"render: {label}, spec template edited (every package)", f"{median(b['template']):.3f} s",
                         w("template"), f"{median(b['template']) / fw:.2f}x floor write", mib("template_rss")))
    for n, r in (scale or {}).items():
        rows.append((f"scale: floor, atomic writes, {n} packages", f"{median(r['floor']):.3f} s",
                     f"{r['files']} files", "", ""))
        rows.append((f"scale: pkgforge, cold, {n} packages", f"{median(r['cold']):.3f} s", f"{r['files']} files",
                     f"{median(r['cold']) / median(r['floor']):.2f}x floor write",
                     f"{max(r['cold_rss']) / 1024:.1f} MiB"))
    if rs and render:
        ip = median(rs["inproc"])
        pp = median(rs["perproc"])
        for label, _ in binaries(a):
            pk = render["specs"] / median(render["bins"][label]["cold"])
            rows.append((f"specs/s: {label} (cold render, counting only specs)", f"{pk:.0f}",
                         f"{render['specs']} specs of {render['files']} files",
                         f"{pk / ip:.1f}x renderspec in-process", ""))
        rows.append(("specs/s: renderspec, in-process API", f"{ip:.0f}",
                     f"{rs['templates']} specs ({rs['identical']} identical to pkgforge's)", "", ""))
        rows.append(("specs/s: renderspec, one process per spec", f"{pp:.1f}", f"{a.perproc} specs", "", ""))
    if watch:
        nv = median(watch["nvchecker"])
        for label, _ in binaries(a):
            b = watch["bins"][label]
            rows.append((f"watch: {label}, {a.upstreams} upstreams, --jobs 20", f"{median(b['first']):.3f} s",
                         f"{a.upstreams} requests + {a.upstreams} git tag listings",
                         f"{median(b['first']) / nv:.2f}x nvchecker", f"{max(b['first_rss']) / 1024:.1f} MiB"))
            rows.append((f"watch: {label}, second run (cached)", f"{median(b['second']):.3f} s",
                         f"{min(b['second_304'])}/{max(b['second_requests'])} answered 304",
                         f"{median(b['second']) / nv:.2f}x nvchecker", f"{max(b['second_rss']) / 1024:.1f} MiB"))
            rows.append((f"watch: {label}, GitHub only (no git repositories)", f"{median(b['github_only']):.3f} s",
                         f"{a.upstreams} requests", f"{median(b['github_only']) / nv:.2f}x nvchecker", ""))
        rows.append(("watch: nvchecker, regex source, max_concurrency 20", f"{nv:.3f} s",
                     f"{min(watch['nv_found'])} found 1.5.0", "", ""))
        rows.append((f"watch: floor, {a.upstreams} answers of {a.delay} ms, 20 at a time",
                     f"{(a.upstreams + 19) // 20 * a.delay / 1000:.3f} s", "", "", ""))
    head = ("benchmark", "median", "work", "ratio", "peak RSS")
    w = [max(len(str(r[i])) for r in rows + [head]) for i in range(5)]
    line = lambda r: "| " + " | ".join(str(c).ljust(w[i]) for i, c in enumerate(r)) + " |"
    out = [line(head), "|" + "|".join("-" * (x + 2) for x in w) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pkgforge", required=True)
    ap.add_argument("--tools", required=True, help="directory with gen, floor, httpd")
    ap.add_argument("--python", default=sys.executable, help="the venv's python (renderspec, nvchecker)")
    ap.add_argument("--dir", required=True, help="work directory (tmpfs by default, see run.sh)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--packages", type=int, default=1000)
    ap.add_argument("--perproc", type=int, default=50, help="specs rendered one process each")
    ap.add_argument("--upstreams", type=int, default=500)
    ap.add_argument("--delay", type=int, default=50, help="ms the test server waits per answer")
    ap.add_argument("--only", choices=["render", "watch", "scale"], help="one benchmark")
    ap.add_argument("--scale", default="1000,5000,10000",
                    help="package counts of the scaling rows (cold render), comma-separated; empty for none")
    ap.add_argument("--compare", help="another pkgforge binary, measured interleaved with the first")
    ap.add_argument("--compare-label", default="baseline", help="its label in the table")
    ap.add_argument("--json", help="also write every measurement to this file")
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    a.scale = [int(x) for x in a.scale.split(",") if x.strip()]
    render = rs = watch = scale = None
    if a.only in (None, "render"):
        render = bench_render(a, a.dir)
        rs = bench_renderspec(a, a.dir, render)
    if a.only in (None, "render", "scale"):
        scale = bench_scale(a, a.dir)
    if a.only in (None, "watch"):
        watch = bench_watch(a, a.dir)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"render": render, "renderspec": rs, "watch": watch, "scale": scale}, f, indent=1)
    print(table(a, render, rs, watch, scale))


if __name__ == "__main__":
    main()
