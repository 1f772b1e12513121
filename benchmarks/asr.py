"""Speech recognition: language ID accuracy and speed, and English/French word error rate, old vs new.

Clips with a known language from the shared data (English: JFK, LibriSpeech, GRID, CREMA-D,
MARLIN, VisualVoice; French: SPPAS). WER references: GRID sentences (decoded from GRID's file
names), CREMA-D's "DFA" sentence ("Don't forget a jacket"), JFK's sentence, the SPPAS TextGrid.
LibriSpeech's ``.txt`` files hold only the attribution, not the text, so LibriSpeech is used for
language ID and speed, not WER. Configurations:

- ``legacy``: the recogniser before issue 22 (tiny.en, ``language='en'`` forced, beam 1,
  faster-whisper's default temperature fallback, default VAD);
- ``tiny.en``: :func:`levelone.media.asr.recognise` (language ID, temperature 0, guards) with
  tiny.en for English; ``base``: the same with the multilingual base for English too.

WER is on all words the configuration outputs (uncertain ones included) and, for the new ones,
also on the certain words alone.

    python benchmarks/asr.py --json out.json
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

GRID_WORDS = {0: dict(b="bin", l="lay", p="place", s="set"), 1: dict(b="blue", g="green", r="red", w="white"),
              2: dict(a="at", b="by", i="in", w="with"), 5: dict(a="again", n="now", p="please", s="soon")}
DIGITS = dict(z="zero", **{str(k): w for k, w in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]) if k})


def grid_sentence(stem: str) -> str | None:
    """GRID's file name spells its sentence: command colour preposition letter digit adverb."""
    code = stem.split("_")[-1]
    if not re.fullmatch(r"[blps][bgrw][abiw][a-z][z1-9][anps]", code):
        return None
    return " ".join([GRID_WORDS[0][code[0]], GRID_WORDS[1][code[1]], GRID_WORDS[2][code[2]], code[3],
                     DIGITS[code[4]], GRID_WORDS[5][code[5]]])


def textgrid_text(path: Path) -> str:
    """The words of a SPPAS TextGrid's first tier (IPU labels, pauses and '+' dropped)."""
    texts = re.findall(r'text = "([^"]*)"', path.read_text(encoding="utf-8"))
    words = []
    for t in texts:
        for w in t.split():
            if not (w.startswith("ipu_") or w in ("#", "+", "*")):
                words.append(w)
    return " ".join(words)


def clips(shared: Path) -> list[dict]:
    """(path, language, reference text or None) for every clip with a known language."""
    out = [{"path": shared / "audio/jfk_whisper/jfk.flac", "language": "en",
            "ref": "And so my fellow Americans ask not what your country can do for you "
                   "ask what you can do for your country"}]
    out += [{"path": p, "language": "en", "ref": None}
            for p in sorted((shared / "audio/librispeech_librosa").glob("*.ogg"))]
    for p in sorted((shared / "video/grid").glob("*.mpg")) + sorted((shared / "video/grid_more").glob("*.mpg")):
        out.append({"path": p, "language": "en", "ref": grid_sentence(p.stem)})
    out += [{"path": p, "language": "en", "ref": "Don't forget a jacket"}
            for p in sorted((shared / "video/cremad").glob("*_DFA_*.flv"))]
    out += [{"path": p, "language": "en", "ref": None}
            for p in sorted((shared / "video/natural").glob("marlin_video0*.mp4"))]
    out.append({"path": shared / "video/natural/visualvoice_noisy_restaurant.mp4", "language": "en", "ref": None})
    fr = shared / "video/natural/sppas_demo_fr.mp4"
    out.append({"path": fr, "language": "fr", "ref": textgrid_text(fr.with_suffix(".TextGrid"))})
    return [c for c in out if Path(c["path"]).is_file()]


def legacy(path: Path) -> str:
    """The recogniser as it was before issue 22 (kept here only to measure against)."""
    from levelone.media import asr

    segments, _ = asr._model(asr.ENGLISH_MODEL).transcribe(str(path), language="en", word_timestamps=True,
                                                           vad_filter=True, beam_size=1)
    return " ".join(w.word.strip() for s in segments for w in (s.words or ()) if w.word.strip())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", default=None, help="write the results here")
    ap.add_argument("--configs", default="legacy,tiny.en,base")
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from levelone.media import asr
    from levelone.media.transcript import word_error_rate

    shared = Path(os.environ.get("AHCUE_SHARED_DATA", REPO.parent / "shared" / "data"))
    todo = clips(shared)
    asr._model(asr.ENGLISH_MODEL), asr._model(asr.MULTILINGUAL_MODEL)  # loads outside the timing
    rows = []
    for c in todo:
        path = Path(c["path"])
        dur = len(asr.load_audio(path)) / asr.SAMPLE_RATE
        row = {"clip": path.name, "language": c["language"], "duration_s": round(dur, 2), "ref": c["ref"]}
        for cfg in args.configs.split(","):
            t0 = time.perf_counter()
            if cfg == "legacy":
                text, certain, lang, prob = legacy(path), None, None, None
            else:
                r = asr.recognise(path, english_model=asr.ENGLISH_MODEL if cfg == "tiny.en" else asr.MULTILINGUAL_MODEL)
                text = " ".join(w.text for w in r.words)
                certain = " ".join(w.text for w in r.words if not w.uncertain)
                lang, prob = r.language, r.language_probability
            dt = time.perf_counter() - t0
            row[cfg] = {"seconds": round(dt, 3), "rtf": round(dt / dur, 4), "text": text, "language": lang,
                        "language_probability": prob}
            if c["ref"]:
                row[cfg]["wer"] = round(word_error_rate(c["ref"], text), 4)
                if certain is not None:
                    row[cfg]["wer_certain"] = round(word_error_rate(c["ref"], certain), 4)
        rows.append(row)
        print(path.name, {k: (v.get("language"), v.get("wer"), v["seconds"]) for k, v in row.items()
                          if isinstance(v, dict)}, flush=True)
    # language ID alone: time per clip and accuracy
    t_id, correct = 0.0, 0
    for c in todo:
        y = asr.load_audio(Path(c["path"]))
        t0 = time.perf_counter()
        spans = asr.voiced_spans(y)
        lang, _ = asr.recording_language(asr.language_windows(y, spans)) if spans else (None, 0.0)
        t_id += time.perf_counter() - t0
        correct += lang == c["language"]
    total_s = sum(r["duration_s"] for r in rows)
    summary = {"clips": len(rows), "audio_s": round(total_s, 1),
               "language_id": {"correct": correct, "of": len(todo), "seconds": round(t_id, 2),
                               "rtf": round(t_id / total_s, 4)}}
    for cfg in args.configs.split(","):
        with_ref = [r for r in rows if r["ref"] and r["language"] == "en"]
        summary[cfg] = {"english_wer_mean": round(sum(r[cfg]["wer"] for r in with_ref) / len(with_ref), 4),
                        "english_clips_with_reference": len(with_ref),
                        "seconds": round(sum(r[cfg]["seconds"] for r in rows), 2),
                        "rtf": round(sum(r[cfg]["seconds"] for r in rows) / total_s, 4)}
        if cfg != "legacy":
            summary[cfg]["english_wer_certain_mean"] = round(
                sum(r[cfg]["wer_certain"] for r in with_ref) / len(with_ref), 4)
            summary[cfg]["language_correct"] = sum(r[cfg]["language"] == r["language"] for r in rows)
        fr = [r for r in rows if r["language"] == "fr" and r["ref"]]
        if fr:
            summary[cfg]["french_wer"] = fr[0][cfg]["wer"]
    result = {"benchmark": "asr", "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                                              "threads": os.environ.get("AHCUE_THREADS", "2")},
              "summary": summary, "clips": rows}
    print(json.dumps(summary, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
