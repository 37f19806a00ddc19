"""renderspec's side of the render benchmark.

    python renderspec_bench.py inproc IN_DIR OUT_DIR
        every IN_DIR/*.spec.j2 through renderspec.generate_spec in this process,
        each result written to OUT_DIR/<name>.spec; prints JSON {specs, seconds}

    python renderspec_bench.py perproc IN_DIR OUT_DIR N
        the first N templates, one `renderspec` process each (as its OBS source
        service runs it); prints JSON {specs, seconds}

Only the rendering loop is timed: the interpreter start and the imports of the
in-process run are not (the per-process run pays them for every spec, as the
service does).
"""
import json
import os
import subprocess
import sys
import time


def templates(in_dir):
    return sorted(f for f in os.listdir(in_dir) if f.endswith(".spec.j2"))


def inproc(in_dir, out_dir):
    import renderspec

    names = templates(in_dir)
    os.makedirs(out_dir, exist_ok=True)
    start = time.perf_counter()
    for n in names:
        text = renderspec.generate_spec(
            "suse", {}, {}, None, "spec.j2", os.path.join(in_dir, n), None
        )
        with open(os.path.join(out_dir, n[: -len(".j2")]), "w") as f:
            f.write(text)
    secs = time.perf_counter() - start
    print(json.dumps({"specs": len(names), "seconds": secs}))


def perproc(in_dir, out_dir, count):
    names = templates(in_dir)[:count]
    os.makedirs(out_dir, exist_ok=True)
    exe = os.path.join(os.path.dirname(sys.executable), "renderspec")
    start = time.perf_counter()
    for n in names:
        subprocess.run(
            [exe, "--spec-style", "suse", "-o", os.path.join(out_dir, n[: -len(".j2")]),
             os.path.join(in_dir, n)],
            check=True, stdout=subprocess.DEVNULL,
        )
    secs = time.perf_counter() - start
    print(json.dumps({"specs": len(names), "seconds": secs}))


if __name__ == "__main__":
    if sys.argv[1] == "inproc":
        inproc(sys.argv[2], sys.argv[3])
    else:
        perproc(sys.argv[2], sys.argv[3], int(sys.argv[4]))
