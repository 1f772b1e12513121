"""Where level one's memory goes over a run: peak resident memory of this process by phase.

Runs ``extract(VIDEO, asr=False)`` in this process on an empty cache while a thread samples
/proc/self/status every 0.1 s; each phase (stage one, the vision pass, what follows it, storing
the raw signals, stage two: loading, baselines, assembly and writing) records the highest resident
size seen while it ran. Comparing two lengths shows which phase grows (issue 24). Set
``MALLOC_MMAP_THRESHOLD_`` in the environment to see glibc's allocator policy at work.

    python benchmarks/long_phases.py INPUT.mp4 --json /tmp/phases.json
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Run as a script, this folder comes first on sys.path and benchmarks/levelone.py would shadow the
# levelone package: put the repository first.
sys.path.insert(0, str(REPO))


def _rss_gb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024 ** 2
    return 0.0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("video")
    ap.add_argument("--json", required=True, metavar="PATH")
    args = ap.parse_args(argv)

    phase = ["start"]
    peaks: dict[str, float] = {}

    def sample() -> None:
        while True:
            peaks[phase[0]] = max(peaks.get(phase[0], 0.0), _rss_gb())
            time.sleep(0.1)

    threading.Thread(target=sample, daemon=True).start()
    import levelone.pipeline.cache as cache
    import levelone.pipeline.extract as extract
    import levelone.pipeline.frametables as frametables
    import levelone.pipeline.signals as signals
    import levelone.pipeline.vision as vision

    def mark(owner, name: str, label: str) -> None:
        fn = getattr(owner, name)

        def marked(*a, **k):
            phase[0] = label
            try:
                return fn(*a, **k)
            finally:
                phase[0] = label + "-after"
        setattr(owner, name, marked)

    mark(extract, "run_stage1", "stage1")
    mark(extract, "run_stage2", "stage2")
    mark(vision, "run_models", "vision")
    mark(signals, "_whose_speech", "whose")
    mark(cache.Cache, "store_raw", "store")
    mark(cache.Cache, "load_raw", "load")
    mark(frametables, "fit_baselines", "baselines")
    mark(frametables, "write_assembled", "assemble")  # cues and the FrameTable written in pieces
    work = Path(tempfile.mkdtemp(prefix="ahcue-phases-"))
    t0 = time.perf_counter()
    extract.extract(args.video, out=work / "table.parquet", cache_dir=work / "cache", asr=False, force=True,
                    progress=False)
    time.sleep(0.3)
    out = {"video": args.video, "wall_s": round(time.perf_counter() - t0, 1),
           "peak_rss_gb_by_phase": {k: round(v, 3) for k, v in peaks.items()}}
    Path(args.json).write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
