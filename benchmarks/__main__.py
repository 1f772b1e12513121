"""Run every benchmark, print one table and write one JSON: ``python -m benchmarks``.

Each benchmark is its own script (``benchmarks/<name>.py``) taking ``--json PATH``; this runner
calls them one after another (never in parallel: they measure the same cores), collects their
JSON and writes ``benchmarks/results.json`` plus a Markdown table for ``benchmarks/README.md``.
"""
from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SUITES = ["levelone", "pose_rate", "people", "text", "leveltwo", "analyze", "report"]


def machine() -> dict:
    import os
    mem = ""
    try:
        mem = next(line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal"))
        mem = f"{int(mem) / 2**20:.0f} GiB"
    except (OSError, StopIteration):
        pass
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": mem, "python": platform.python_version(),
            "date": time.strftime("%Y-%m-%d")}


def run_suite(name: str, extra: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"{name}.json"
        cmd = [sys.executable, str(HERE / f"{name}.py"), "--json", str(out), *extra]
        print(f"== {name}: {' '.join(cmd[1:])}", flush=True)
        res = subprocess.run(cmd)
        if res.returncode != 0 or not out.exists():
            return {"error": f"exit code {res.returncode}"}
        return json.loads(out.read_text())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="*", choices=SUITES, default=SUITES)
    p.add_argument("--json", type=Path, default=HERE / "results.json")
    args = p.parse_args(argv)
    results = {"machine": machine(), "suites": {}}
    for name in args.only:
        results["suites"][name] = run_suite(name, [])
    args.json.write_text(json.dumps(results, indent=2))
    print(json.dumps(results["machine"]))
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
