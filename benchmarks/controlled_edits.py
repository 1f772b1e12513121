"""Does each cue fire on the behaviour it names? Controlled edits of real media, hit rate inside the
edit and false rate outside it (issue 24; the calibration card cites these figures).

Audio (jfk.flac and three LibriSpeech readers from ``../shared/data/audio``, the shipped calibration
in force): a 2 s pause inserted, 4 s slowed to 0.7x and 4 s sped to 1.5x (ffmpeg ``atempo``, pitch
kept), 3 s lowered 12 dB, 3 s with a 6 Hz tremolo and vibrato (ffmpeg ``tremolo``, ``vibrato``: a
shaking voice wavers in loudness and pitch; the vibrato alone is a second row). The audio edits
live in ``levelone/training/audio_edits.py``: the calibration chooses the audio operating points
from them and from ordinary speech. Language: the same clips' speech-recognised words with a phrase inserted at 5 s (0.3 s a
word, later words shifted): hedges, filler words, a repetition, a correction, feeling phrases and
the COM-B statements. Inside = the edited span (language: the phrase and the cue's 0.5 s hold);
outside = every other frame with a value. Rates pool the four clips' frames.

    python benchmarks/controlled_edits.py --json /tmp/edits.json
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # before this folder, whose levelone.py would shadow the package

SR, FPS = 16000, 25.0
CLIPS = ("jfk_whisper/jfk.flac", "librispeech_librosa/198-209-0000.ogg",
         "librispeech_librosa/3436-172162-0000.ogg", "librispeech_librosa/5703-47212-0000.ogg")
EDIT_AT_S = 3.0
INSERT_AT_S = 5.0
WORD_S = 0.3  # an inserted word's duration
# cue -> inserted phrase (lexicon entries: levelone/data/lexicon.yaml)
PHRASES = {"hedging": "i guess maybe", "filler_word": "you know basically", "repetition": "the the",
           "correction": "no wait i mean", "excuse": "because the thing is", "positive": "i love it",
           "negative": "i hate it", "mot": "i want to stop", "no_mot": "i don't want to",
           "cap": "i can do it", "no_cap": "i can't do it", "opp": "i have time", "no_opp": "i don't have time",
           "success": "i managed it", "fail": "i gave up"}


def _ffmpeg_filter(y: np.ndarray, filt: str) -> np.ndarray:
    out = subprocess.run(["ffmpeg", "-v", "error", "-f", "f32le", "-ar", str(SR), "-ac", "1", "-i", "-",
                          "-filter:a", filt, "-f", "f32le", "-ar", str(SR), "-ac", "1", "-"],
                         input=y.astype(np.float32).tobytes(), capture_output=True, check=True)
    return np.frombuffer(out.stdout, np.float32)


def _rates(active: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> dict:
    """Pooled hit rate inside and false rate outside; ``active`` holds (active, inside, has_value)."""
    ins = np.concatenate([a[i & v] for a, i, v in active])
    outs = np.concatenate([a[~i & v] for a, i, v in active])
    return {"hit": round(float(ins.mean()), 3) if ins.size else None,
            "false": round(float(outs.mean()), 3) if outs.size else None,
            "frames_inside": int(ins.size), "frames_outside": int(outs.size)}


def audio_edits(clips: dict[str, np.ndarray]) -> dict:
    """Every edit of :data:`levelone.training.audio_edits.AUDIO_EDITS` (the ones the calibration chooses
    the audio operating points with) on every clip, under the shipped calibration."""
    from levelone.training.audio_edits import AUDIO_EDITS, edit_activations, edited_clips, rates

    pairs = edit_activations(edited_clips({name: (name, y) for name, y in clips.items()}), None)
    return {e.key: {"edit": e.what, **rates([(c, v) for c, v in pairs if c.key == e.key])} for e in AUDIO_EDITS}


def language_edits(paths: list[Path]) -> dict:
    from levelone.language.cues import HOLD_S, language_cues, text_signals
    from levelone.media.asr import transcribe
    from levelone.media.transcript import Word
    from levelone.pipeline.signals import _scorer

    scorer = _scorer()
    words = {p: transcribe(p) for p in paths}
    out = {}
    for cue, phrase in PHRASES.items():
        active = []
        for p, ws in words.items():
            tokens = phrase.split()
            shift = len(tokens) * WORD_S
            before = [w for w in ws if w.end_s <= INSERT_AT_S]
            after = [Word(w.text, w.start_s + shift, w.end_s + shift) for w in ws if w.end_s > INSERT_AT_S]
            at = before[-1].end_s if before else 0.0
            ins = [Word(t, at + k * WORD_S, at + (k + 1) * WORD_S) for k, t in enumerate(tokens)]
            edited = before + ins + after
            n = int((edited[-1].end_s + 1.0) * FPS)
            c = language_cues(text_signals(edited, FPS, n, scorer), None, FPS)
            inside = np.zeros(n, bool)
            inside[int(at * FPS):int((at + shift + HOLD_S) * FPS) + 1] = True
            v = c[f"cue.language.{cue}"].to_numpy(np.float64)
            active.append((v >= 0.5, inside, np.isfinite(v)))
        out[f"language.{cue}"] = {"edit": f"'{phrase}' inserted in the speech-recognised words at 5 s",
                                  **_rates(active)}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", required=True, metavar="PATH")
    ap.add_argument("--data", default=os.environ.get("AHCUE_SHARED_DATA", str(ROOT.parent / "shared" / "data")))
    args = ap.parse_args(argv)
    from levelone.media.video import read_audio

    paths = [Path(args.data) / "audio" / c for c in CLIPS]
    clips = {p.name: read_audio(p, sr=SR) for p in paths}
    result = {**audio_edits(clips), **language_edits(paths)}
    Path(args.json).write_text(json.dumps({"clips": list(CLIPS), "cues": result}, indent=1) + "\n")
    for cue, r in result.items():
        print(f"{cue:24s} hit {r['hit']}  false {r['false']}  ({r['edit']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
