#!/usr/bin/env python3
"""The shape of src/: a module graph that only points down, and short functions.

    python3 scripts/check-architecture.py [SRC_DIR]        (default: src)

1. Module graph. Every `crate::<module>` path (in `use` items and inline) is an edge
   from the top-level module of the file it is written in to `<module>`. Each top-level
   module of the library belongs to one layer of LAYERS, listed from the top (the
   commands) down to the leaves. An edge may point to the same layer or a lower one,
   never up, and the graph has no cycle. A module missing from LAYERS is an error, so a
   new one gets its place on purpose. The binary (src/main.rs, src/cli/) sits above all
   of them and reaches the library as `pkgforge::`.
2. Function length. No `fn` in src/ is longer than MAX_LINES lines (from its `fn` line to
   its closing brace), unless LONG_FUNCTIONS lists it with the reason.

Exit 0 when both hold; otherwise every violation is printed and the exit code is 1.
"""
import os
import re
import sys

# From the top down. Keep README.md's "Architecture" section in step with this list.
LAYERS = [
    ("commands", ["commands"]),
    ("workflows", ["bump", "archive", "watch", "resolve", "sources", "build", "verify", "import"]),
    ("render and write", ["app", "render", "output", "journal", "lock"]),
    ("model", ["manifest", "changelog", "names", "distro", "version", "table"]),
    ("leaves", ["remote", "fsio", "digest", "compress", "openpgp", "error"]),
]

MAX_LINES = 100

# "path::function": why it is longer than MAX_LINES.
LONG_FUNCTIONS = {}


def strip(text):
    """The text with comments, strings and char literals blanked (newlines kept)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif (m := re.match(r'b?r(#*)"', text[i:])) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            end = '"' + m.group(1)
            j = text.find(end, i + m.end())
            j = n if j < 0 else j + len(end)
            out.append('""' + re.sub(r"[^\n]", " ", text[i + 2:j]))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""' + re.sub(r"[^\n]", " ", text[i + 1:j - 1] if j > i + 1 else ""))
            i = j + 1
        elif c == "'" and (m := re.match(r"'(\\.[^']*|[^\\'])'", text[i:])):
            out.append("' '" + " " * (m.end() - 3))
            i += m.end()
        else:
            out.append(c)
            i += 1
    return "".join(out)


def module_of(rel):
    """`render/spec.rs` -> `render`; `lib.rs` -> None; `main.rs`, `cli/..` -> `(bin)`."""
    parts = rel.split(os.sep)
    if parts[0] in ("main.rs", "cli") or parts[0] == "bin":
        return "(bin)"
    if parts[0] == "lib.rs":
        return None
    return parts[0][:-3] if parts[0].endswith(".rs") else parts[0]


def use_targets(code):
    """The top-level modules named by `crate::` paths, grouped `use crate::{..}` included."""
    found = set(re.findall(r"\bcrate::([a-z_][a-z0-9_]*)", code))
    for m in re.finditer(r"\bcrate::\{", code):
        depth, j, start = 1, m.end(), m.end()
        items, cur = [], start
        while j < len(code) and depth:
            if code[j] == "{":
                depth += 1
            elif code[j] == "}":
                depth -= 1
                if depth == 0:
                    items.append(code[cur:j])
            elif code[j] == "," and depth == 1:
                items.append(code[cur:j])
                cur = j + 1
            j += 1
        for item in items:
            head = re.match(r"\s*([a-z_][a-z0-9_]*)", item)
            if head and head.group(1) not in ("self",):
                found.add(head.group(1))
    return found


def functions(code):
    """(name, first line, line count) of every fn with a body."""
    out = []
    for m in re.finditer(r"\bfn\s+([A-Za-z_][A-Za-z0-9_]*)", code):
        j, depth = m.end(), 0
        # the body starts at the first `{` outside the signature's brackets; a `;` first
        # means a declaration without a body
        while j < len(code):
            ch = code[j]
            if ch in "(<[":
                depth += 1
            elif ch in ")>]":
                depth -= 1
            elif ch == ";" and depth <= 0:
                j = -1
                break
            elif ch == "{" and depth <= 0:
                break
            j += 1
        if j < 0 or j >= len(code):
            continue
        k, depth = j, 0
        while k < len(code):
            if code[k] == "{":
                depth += 1
            elif code[k] == "}":
                depth -= 1
                if depth == 0:
                    break
            k += 1
        first = code.count("\n", 0, m.start()) + 1
        last = code.count("\n", 0, k) + 1
        out.append((m.group(1), first, last - first + 1))
    return out


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "src"
    layer_of = {}
    for depth, (_, mods) in enumerate(LAYERS):
        for mod in mods:
            layer_of[mod] = depth
    edges, problems = {}, []
    files = []
    for root, _, names in os.walk(src):
        for name in names:
            if name.endswith(".rs"):
                files.append(os.path.relpath(os.path.join(root, name), src))
    for rel in sorted(files):
        with open(os.path.join(src, rel), encoding="utf-8") as f:
            code = strip(f.read())
        mod = module_of(rel)
        if mod not in (None, "(bin)"):
            if mod not in layer_of:
                problems.append(f"{src}/{rel}: module `{mod}` has no layer in LAYERS of {sys.argv[0]}")
            for target in sorted(use_targets(code)):
                if target != mod:
                    edges.setdefault(mod, {}).setdefault(target, f"{src}/{rel}")
        for name, line, count in functions(code):
            key = f"{rel}::{name}"
            if count > MAX_LINES and key not in LONG_FUNCTIONS:
                problems.append(f"{src}/{rel}:{line}: fn {name} is {count} lines (at most {MAX_LINES}, or list it in LONG_FUNCTIONS with the reason)")
    for mod, targets in sorted(edges.items()):
        for target, where in sorted(targets.items()):
            if target in layer_of and mod in layer_of and layer_of[target] < layer_of[mod]:
                problems.append(
                    f"{where}: `{mod}` ({LAYERS[layer_of[mod]][0]}) uses `crate::{target}` ({LAYERS[layer_of[target]][0]}), a layer above it")
    # cycles, by depth-first search over the edges
    state, stack = {}, []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, {})):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                problems.append("import cycle: " + " -> ".join(
                    f"{a} ({edges[a][b]})" for a, b in zip(cycle, cycle[1:])) + f" -> {nxt}")
            elif nxt in edges and state.get(nxt) is None:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if state.get(node) is None:
            visit(node)
    for p in problems:
        print(f"error: {p}")
    count = sum(len(t) for t in edges.values())
    print(f"architecture: {len(files)} files, {len(edges)} modules with {count} edges, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
