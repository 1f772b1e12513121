"""Where the audio step's memory goes on a long recording (issue 24, round 8).

Three measurements, each in a fresh interpreter so that what one loads does not hide the next:

- ``vad``: resident memory above the loaded Silero model while ``levelone.media.vad`` runs over the
  recording with batches of 10,000 windows (faster-whisper's), 1,000 (shipped) and 500; the ONNX
  session allocates outside Python, so only resident memory shows it; and the CPU seconds;
- ``mel``: resident memory and CPU seconds of librosa's ``filters.mel`` (numba) against
  ``levelone.audio.prosody.mel_filters``, and whether the two agree;
- ``spectral``: ``tracemalloc`` peak of ``spectral_shape`` (the whole log-mel matrix) and of
  ``spectral_pass`` (streamed) on the first 90 s and on all of the recording, as bytes per extra hop;
- ``blocks``: ``tracemalloc`` peak and CPU seconds of the pitch tracker (``yin``) and of
  ``spectral_pass`` on the first 120 s, with blocks of 3,000 hops (30 s), 1,500 and 1,000 (10 s,
  shipped since round 10); the results are the same whatever the block (``tests/levelone/audio``).

    python benchmarks/audio_memory.py INPUT.mp4 --json benchmarks/audio_memory.json
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_PRELUDE = f"""
import sys, threading, time, json
sys.path.insert(0, {str(REPO)!r})
import numpy as np
from levelone.pipeline.memory import bound_allocators
bound_allocators()

def rss():
    return int(next(l for l in open('/proc/self/status') if l.startswith('VmRSS')).split()[1]) / 1024

def peak_during(fn):
    peak, done = [0.0], []
    def watch():
        while not done:
            peak[0] = max(peak[0], rss())
            time.sleep(0.005)
    base = rss()
    t = threading.Thread(target=watch)
    t.start()
    cpu = time.process_time()
    out = fn()
    cpu = time.process_time() - cpu
    done.append(1)
    t.join()
    return out, round(peak[0] - base, 1), round(cpu, 2)
"""

_VAD = """
from levelone.media import vad
y = np.fromfile(WAVE, np.float32)
vad.session()
vad.speech_probabilities(y[:16000])
vad.BATCH_WINDOWS = BATCH
_, mb, cpu = peak_during(lambda: vad.speech_probabilities(y))
print(json.dumps({"batch_windows": BATCH, "extra_mb": mb, "cpu_s": cpu}))
"""

_MEL = """
from levelone.audio import prosody as P
if WHICH == "librosa":
    def make():
        import librosa
        return librosa.filters.mel(sr=16000, n_fft=512, n_mels=24, fmin=100.0, fmax=6000.0)
else:
    def make():
        return P.mel_filters(16000, 512, 24, 100.0, 6000.0)
m, mb, cpu = peak_during(make)
np.save(OUT, m)
print(json.dumps({"filterbank": WHICH, "extra_mb": mb, "cpu_s": cpu}))
"""

_SPECTRAL = """
import tracemalloc
from levelone.audio import prosody as P
y = np.fromfile(WAVE, np.float32)
P.spectral_pass(y[:16000 * 5], [(100, 180)])
def peak(fn, x):
    tracemalloc.start()
    fn(x)
    p = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return p
short = y[:16000 * 90]
out = {}
for name, fn in (("spectral_shape", P.spectral_shape), ("spectral_pass", lambda x: P.spectral_pass(x, [(100, 180)]))):
    a, b = peak(fn, short), peak(fn, y)
    out[name] = {"peak_mb_90s": round(a / 1e6, 2), "peak_mb_all": round(b / 1e6, 2),
                 "bytes_per_extra_hop": round((b - a) / ((y.size - short.size) / 160), 1)}
print(json.dumps(out))
"""


_BLOCKS = """
import tracemalloc
from levelone.audio import prosody as P
y = np.fromfile(WAVE, np.float32)[:16000 * 120]
P.BLOCK_HOPS = HOPS
P.yin(y[:16000 * 5])
out = {"block_hops": HOPS}
for name, fn in (("yin", P.yin), ("spectral_pass", lambda x: P.spectral_pass(x, [(100, 180)]))):
    tracemalloc.start()
    t = time.process_time()
    fn(y)
    cpu = time.process_time() - t
    out[name] = {"peak_mb": round(tracemalloc.get_traced_memory()[1] / 1e6, 1), "cpu_s": round(cpu, 2)}
    tracemalloc.stop()
print(json.dumps(out))
"""


def _run(code: str, **values) -> dict:
    setup = "".join(f"{k} = {v!r}\n" for k, v in values.items())
    out = subprocess.run([sys.executable, "-c", _PRELUDE + setup + code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("video", help="a recording with speech (the 10-minute long-recording input)")
    ap.add_argument("--json", required=True, metavar="PATH")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(REPO))
    import numpy as np

    from levelone.media.video import read_audio

    with tempfile.TemporaryDirectory(prefix="ahcue-audio-memory-") as tmp:
        wave = str(Path(tmp) / "audio.f32")
        y = read_audio(args.video, sr=16000)
        y.astype(np.float32).tofile(wave)
        result = {"input": str(args.video), "seconds": round(y.size / 16000, 1),
                  "vad": [_run(_VAD, WAVE=wave, BATCH=b) for b in (10000, 1000, 500)]}
        mel = [_run(_MEL, WHICH=w, OUT=str(Path(tmp) / f"{w}.npy")) for w in ("librosa", "here")]
        same = bool(np.array_equal(np.load(Path(tmp) / "librosa.npy"), np.load(Path(tmp) / "here.npy")))
        result["mel"] = {"runs": mel, "identical": same}
        result["spectral"] = _run(_SPECTRAL, WAVE=wave)
        result["blocks"] = [_run(_BLOCKS, WAVE=wave, HOPS=h) for h in (3000, 1500, 1000)]
    Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
