#!/usr/bin/env python3
"""Prove that scripts/test.sh installs every Debian package the tests need.

Inputs:
  * the `debs=( ... )` list of scripts/test.sh;
  * strace logs of the test run (`strace -f -z -e trace=execve`): every program the
    tests started, the validators, the fixtures' build tools and what those run in turn;
  * the Build-Depends of every fixture a test built (files `build-depends*` written by
    the tests under $PKGFORGE_TEST_RECORD).

Each program is mapped to the Debian package that owns it (`dpkg -S`), and each
Build-Depends to the packages that satisfy it. A package counts as installed by the
script if it is in the list, is part of every Debian system (Essential or Priority
required), or is pulled in by one of those through Depends/Pre-Depends (the script
installs with --no-install-recommends). Anything else fails, named with the program or
field that needs it and the fix.

Programs that are not Debian's are accepted only below the places the machine itself
provides (the Rust toolchain that builds the tests, the Python that creates .venv) or
the project makes (its .venv from tests/requirements.txt, its build tree, temporary
directories the tests create).
"""

import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile

EXEC = re.compile(r'^\d+\s+execve\("((?:[^"\\]|\\.)*)"')
# `clone(...) = 123`, `<... vfork resumed>) = 123`: a new process and its parent.
FORK = re.compile(r'^(?:<\.\.\. )?(?:clone3?|v?fork)\b.*= (\d+)$')


def host_programs(log):
    """The programs a traced run started on the host: not those started inside a chroot
    (kiwi's image root, a build root), whose paths name the chroot's files. A process is
    in a chroot after its own successful chroot(), and when an ancestor made one. Two
    passes, since strace may log a child's execve before its parent's clone returns."""
    parent, chrooted_at, execs = {}, {}, []
    with open(log, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f):
            pid, _, rest = line.partition(" ")
            rest = rest.lstrip()
            if rest.startswith("chroot(") and rest.rstrip().endswith("= 0"):
                chrooted_at.setdefault(pid, n)
                continue
            m = FORK.match(rest)
            if m:
                parent[m.group(1)] = pid
                continue
            m = EXEC.match(line)
            if m:
                execs.append((n, pid, m.group(1)))

    def in_chroot(pid):
        seen = set()
        pid = parent.get(pid)
        while pid is not None and pid not in seen:
            if pid in chrooted_at:
                return True
            seen.add(pid)
            pid = parent.get(pid)
        return False

    for n, pid, path in execs:
        if n > chrooted_at.get(pid, n) or in_chroot(pid):
            continue
        if os.path.exists(path):
            yield path


def listed_packages(script):
    text = open(script, encoding="utf-8").read()
    m = re.search(r"^debs=\((.*?)^\)", text, re.S | re.M)
    if not m:
        sys.exit(f"error: no `debs=( ... )` list in {script}")
    names = []
    for line in m.group(1).splitlines():
        line = line.split("#", 1)[0]
        names.extend(line.split())
    return names


def installed_db():
    fmt = "${Package}\\t${Status}\\t${Essential}\\t${Priority}\\t${Pre-Depends}\\t${Depends}\\t${Provides}\\n"
    out = subprocess.run(
        ["dpkg-query", "-W", "-f", fmt], check=True, capture_output=True, text=True
    ).stdout
    db, providers = {}, {}
    for line in out.splitlines():
        name, status, essential, priority, pre, deps, provides = line.split("\t")
        if not status.endswith(" installed"):
            continue
        db[name] = {
            "base": essential == "yes" or priority == "required",
            "deps": ", ".join(d for d in (pre, deps) if d),
        }
        for p in split_list(provides):
            providers.setdefault(p[0], set()).add(name)
    return db, providers


def split_list(field):
    """`a (>= 1), b | c:any` -> [['a'], ['b', 'c']] (names only)."""
    groups = []
    for group in field.split(","):
        alts = []
        for alt in group.split("|"):
            alt = re.sub(r"\(.*?\)|\[.*?\]|<.*?>", "", alt).strip()
            if alt:
                alts.append(alt.split(":")[0])
        if alts:
            groups.append(alts)
    return groups


def satisfiers(name, db, providers):
    found = {name} if name in db else set()
    return found | providers.get(name, set())


def closure(roots, db, providers):
    seen = set()
    todo = list(roots)
    while todo:
        pkg = todo.pop()
        if pkg in seen or pkg not in db:
            continue
        seen.add(pkg)
        for alts in split_list(db[pkg]["deps"]):
            for alt in alts:
                sat = satisfiers(alt, db, providers)
                if sat:
                    todo.extend(sat)
                    break
    return seen


def owners(paths):
    """path -> package, by dpkg -S, trying the /bin <-> /usr/bin aliases of merged /usr."""
    candidates = {}
    for p in paths:
        forms = {p, os.path.realpath(p)}
        for f in list(forms):
            for a, b in (("/usr/bin/", "/bin/"), ("/usr/sbin/", "/sbin/"), ("/usr/lib/", "/lib/")):
                if f.startswith(a):
                    forms.add(b + f[len(a):])
                elif f.startswith(b):
                    forms.add(a + f[len(b):])
        candidates[p] = forms
    every = sorted({f for forms in candidates.values() for f in forms})
    out = subprocess.run(["dpkg", "-S", *every], capture_output=True, text=True).stdout
    owned = {}
    for line in out.splitlines():
        if ": " not in line:
            continue
        pkgs, path = line.rsplit(": ", 1)
        if pkgs.startswith("diversion by"):
            continue
        owned[path] = pkgs.split(",")[0].strip().split(":")[0]
    return {p: next((owned[f] for f in sorted(forms) if f in owned), None) for p, forms in candidates.items()}


# Programs the host's own configuration runs when they are installed, which no test needs.
INCIDENTAL = {
    "/usr/bin/appstreamcli": "APT's update hook (/etc/apt/apt.conf.d/50appstream) runs it "
    "after kiwi's `apt-get update` only where appstream is installed",
}


def machine_prefixes(repo):
    home = os.path.expanduser("~")
    prefixes = {
        os.path.realpath(repo) + "/": "the project's own tree (.venv from tests/requirements.txt, target/)",
        os.path.realpath(tempfile.gettempdir()) + "/": "a temporary directory a test made",
        os.environ.get("CARGO_HOME", os.path.join(home, ".cargo")) + "/": "the Rust toolchain that builds the tests",
        os.environ.get("RUSTUP_HOME", os.path.join(home, ".rustup")) + "/": "the Rust toolchain that builds the tests",
        os.environ.get("PYENV_ROOT", os.path.join(home, ".pyenv")) + "/": "the machine's Python, which creates .venv",
    }
    return prefixes


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--script", required=True, help="the test script with the debs=( ... ) list")
    ap.add_argument("--repo", required=True, help="the repository root")
    ap.add_argument("--build-depends", help="directory with build-depends* files written by the tests")
    ap.add_argument("logs", nargs="*", help="strace -e trace=execve logs")
    args = ap.parse_args()

    listed = listed_packages(args.script)
    db, providers = installed_db()
    problems = []
    for name in listed:
        if name not in db:
            problems.append(f"`{name}` is in {args.script}'s list but not installed: run the script's apt-get step")
    roots = set(listed) | {p for p, d in db.items() if d["base"]}
    have = closure(roots, db, providers)

    programs = {}
    for log in args.logs:
        for prog in host_programs(log):
            programs.setdefault(prog, log)
    if args.logs and not programs:
        problems.append(f"no program recorded in {', '.join(args.logs)}: was the test run traced?")

    prefixes = machine_prefixes(args.repo)
    absolute = sorted(p for p in programs if p.startswith("/"))
    owner = owners(absolute)
    checked = 0
    for prog in absolute:
        if prog in INCIDENTAL:
            continue
        pkg = owner[prog]
        real = os.path.realpath(prog)
        if pkg is None:
            if any(prog.startswith(pre) or real.startswith(pre) for pre in prefixes):
                continue
            problems.append(
                f"the tests ran `{prog}`, which no Debian package installed: install it from a "
                f"Debian package listed in {args.script} (or tests/requirements.txt for PyPI)"
            )
            continue
        checked += 1
        if pkg not in have:
            problems.append(
                f"the tests ran `{prog}` from the Debian package `{pkg}`, which {args.script} "
                f"does not install: add `{pkg}` to its debs list"
            )

    fields = 0
    if args.build_depends:
        for path in sorted(glob.glob(os.path.join(args.build_depends, "build-depends*"))):
            with open(path, encoding="utf-8") as f:
                for line in f:
                    if not line.strip():
                        continue
                    source, field = line.rstrip("\n").split("\t", 1)
                    fields += 1
                    for alts in split_list(field):
                        if not any(satisfiers(a, db, providers) & have for a in alts):
                            problems.append(
                                f"{source}: Build-Depends `{' | '.join(alts)}` is not installed by "
                                f"{args.script}: add one of them to its debs list"
                            )

    print(
        f"{len(listed)} packages listed; {len(programs)} programs run by the tests, "
        f"{checked} of them from Debian packages; {fields} fixture Build-Depends fields",
        flush=True,
    )
    for p in sorted(set(problems)):
        print(f"error: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
