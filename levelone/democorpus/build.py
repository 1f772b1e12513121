"""A small BAH-format corpus generated from real media: the test fixture and demo for ahcue.

**This corpus is a test fixture, not evidence of accuracy on people.** Its A/H moments are planted
by a script (a hesitant phrase, an inserted silence, a slower voice and a known head movement), so
a model that finds them has learnt this generator, not ambivalence. Use it to exercise readers,
level one and level two end to end, and to check that cues land where they were planted.

What is real: the faces (scikit-image's astronaut portrait and GRID corpus speakers, CC BY 4.0,
read from ``../shared/data/video/grid``), the speech engine (espeak-ng), the codecs (H.264 + AAC
muxed by ffmpeg, decoded by PyAV). What is generated: the words, the head movements, the labels.

The layout copies BAH exactly as ``docs/bah-format.md`` describes it, quirks included: video names
with spaces and with a ``-DESKTOP-...`` suffix, face-crop folders named ``<video>.mp4`` with
unpadded ``frame-<N>.jpg`` (one per decoded frame), Whisper-style transcripts with
``!!python/tuple`` timestamps that restart near 0 after 30 s and a null last end, unquoted
transcripts with commas in the split files, cue values given as a string, a comma-separated
string or a list. Beside the BAH files, ``ahcue_planted.json`` (not a BAH file) records per video
the planted segments, their cue ids, inconsistency pairs, head-motion parameters and every word's
time, so tests can check any reader or detector against the truth.

Participant shift (``shift=True``, ``ahcue demo-corpus --shift``): each participant then has a
:class:`Style` -- how much the head moves at rest and in the planted movements, a habitual head
pose, how fast they speak and how long their planted silences last. Train and val participants
keep the reference style (the *source*); the test participants each get one of
:data:`SHIFT_STYLES` (one moves the head more, one speaks faster, one barely moves), so a model
trained on the source meets people who express A/H differently. A system test of adaptation
(:mod:`leveltwo.tta`), not a claim about how people differ.

Deterministic: the same seed gives byte-identical annotation, transcript and split files;
ffmpeg runs single-threaded with bit-exact flags so the media are reproducible too.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from codebook.errors import InputError
from codebook.vocabulary import load_vocabulary

FPS = 24
PLANTED_FILE = "ahcue_planted.json"
# GRID clips in a fixed order with the voice gender that suits each speaker.
GRID_SPEAKERS: tuple[tuple[str, str], ...] = (
    ("bbaf2n", "Male"), ("brbk7n", "Female"), ("id2_vcd_swwp2s", "Male"), ("lbax4n", "Male"),
    ("lbbc2a", "Female"), ("lrwp9a", "Female"), ("lwbsza", "Female"), ("pwij3p", "Male"),
    ("sbia1a", "Male"), ("sbwe5n", "Male"), ("swiz3n", "Male"))
VOICES = {"Female": ("en-us+f2", "en-gb+f3", "en-us+f4", "en-gb-x-rp+f1"),
          "Male": ("en-us+m3", "en-gb+m2", "en-gb-scotland+m1", "en-029+m4", "en-us+m7")}
SUFFIXES = ("-DESKTOP-NQ55E0P", "-LAPTOP-7H2K9QX")
MOTION = {  # kind: (amplitude degrees, frequency Hz) of a planted head movement
    "shake": (30.0, 2.0), "nod": (25.0, 1.8), "tilt": (15.0, 0.0), "look_away": (35.0, 0.0)}
ANNOTATORS = ("MG", "SB", "AL", "TN")


@dataclass(frozen=True)
class Style:
    """How one generated participant expresses themselves (used with ``shift=True``).

    ``head_jitter_deg``: standard deviation of the natural head movement at rest (degrees);
    ``motion_gain``: factor on the planted head movements' amplitude; ``pose_offset_deg``: habitual
    (yaw, pitch) in degrees; ``rate_delta_wpm``: added to the voice's words per minute;
    ``pause_gain``: factor on the planted silences' length; ``slow_factor``: the planted slow
    speech's rate as a fraction of the person's rate.
    """

    name: str = "reference"
    head_jitter_deg: float = 1.2
    motion_gain: float = 1.0
    pose_offset_deg: tuple[float, float] = (0.0, 0.0)
    rate_delta_wpm: int = 0
    pause_gain: float = 1.0
    slow_factor: float = 0.8


REFERENCE = Style()
# The held-out participants' styles under ``shift``, assigned in this order.
SHIFT_STYLES: tuple[Style, ...] = (
    Style("moves_head_more", head_jitter_deg=5.0, motion_gain=1.0, pose_offset_deg=(12.0, -6.0)),
    Style("speaks_faster", rate_delta_wpm=60, pause_gain=0.5, slow_factor=0.95),
    Style("still", head_jitter_deg=0.6, motion_gain=0.35),
)


@dataclass
class PlantedSegment:
    """One planted A/H segment: frames are 0-based and end-inclusive, like BAH's fr_detailed_ah."""

    start_s: float
    end_s: float
    start_frame: int
    end_frame: int
    template: str
    cues: dict[str, list[str]]
    pairs: list[str]
    motion: dict
    certainty: int


@dataclass
class VideoPlan:
    key: str  # Videos/<pid>/Visite_1/<name>.mp4
    participant: str
    question: int
    label: int
    split: str
    words: list[tuple[str, float, float]] = field(default_factory=list)
    chunks: list[tuple[str, float, float]] = field(default_factory=list)
    segments: list[PlantedSegment] = field(default_factory=list)
    n_frames: int = 0
    face: str = ""
    voice: str = ""
    rate: int = 0
    style: Style = REFERENCE

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[1]

    @property
    def text(self) -> str:
        return " ".join(w for w, _, _ in self.words)


# ----------------------------------------------------------------------------- small helpers
def hms(t: float) -> str:
    """Seconds as BAH's ``HH:MM:SS.mmm``."""
    ms = int(round(t * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def _split_for(i: int, n: int, n_test: int = 1) -> str:
    """Participant ``i`` of ``n``: the last ``n_test`` go to test, the one before to val, the rest train."""
    if n >= 1 + n_test and i >= n - n_test:
        return "test"
    if n >= 2 + n_test and i == n - n_test - 1:
        return "val"
    return "train"


def shift_test_count(n: int) -> int:
    """Held-out (test) participants under ``shift``: one per third of the people, at most one per style."""
    return max(1, min(len(SHIFT_STYLES), n // 3))


def style_for(i: int, n: int, shift: bool) -> Style:
    """Participant ``i``'s style: the reference unless ``shift`` and ``i`` is held out for test."""
    if not shift:
        return REFERENCE
    k = shift_test_count(n)
    return SHIFT_STYLES[i - (n - k)] if i >= n - k else REFERENCE


def _video_name(pid: str, q: int, when: tuple[int, int, int, int, int, int], spaced: bool, suffix: str) -> str:
    y, mo, d, h, mi, s = when
    sep = " " if spaced else "_"
    return f"{pid}_Question_{q}_{y:04d}-{mo:02d}-{d:02d}{sep}{h:02d}-{mi:02d}-{s:02d}_Video{suffix}.mp4"


# ----------------------------------------------------------------------------- the script
def _plan_tokens(rng: np.random.Generator, q: int, label: int, target_s: float, rate: int, synth,
                 style: Style = REFERENCE
                 ) -> tuple[list, list[tuple[float, float]], np.ndarray, list[tuple[int, int, object]]]:
    """Choose sentences (and planted templates for label 1) until the answer lasts ``target_s``.

    Returns the tokens, their spans, the audio track and, per planted block, the token index
    range and its template.
    """
    from levelone.democorpus.script import GENERIC, PAUSE, PLAIN, TEMPLATES
    from levelone.democorpus.speech import Token

    pool = list(rng.permutation(PLAIN[q])) + list(rng.permutation(GENERIC))
    blocks: list[object] = [pool.pop(0)]
    if label:
        n_planted = 1 if rng.random() < 0.6 else 2
        picks = rng.choice(len(TEMPLATES), size=n_planted, replace=False)
        for k in picks:
            blocks += [TEMPLATES[int(k)], pool.pop(0)]
    else:
        blocks.append(pool.pop(0))
    slow = int(round(rate * style.slow_factor))

    def build(blocks):
        tokens, ranges = [], []
        for b in blocks:
            if isinstance(b, str):
                words = b.split()
                tokens += [Token(w, rate, 0.07 if i < len(words) - 1 else 0.35) for i, w in enumerate(words)]
            else:
                start = len(tokens)
                pause = float(np.round(rng.uniform(0.7, 1.0) * style.pause_gain, 2))
                for w in b.say(q):
                    tokens.append(Token("", pause_s=pause) if w == PAUSE else Token(w, slow, 0.12))
                ranges.append((start, len(tokens) - 1, b))
                tokens[-1] = Token(tokens[-1].text, slow, 0.35)
        return tokens, ranges

    while True:
        tokens, ranges = build(blocks)
        y, spans = synth.render(tokens)
        if y.size / 22050 + 0.5 >= target_s or not pool:
            return tokens, spans, y, ranges
        # insert another plain sentence at a random block boundary (never inside a template)
        blocks.insert(int(rng.integers(1, len(blocks) + 1)), pool.pop(0))


def _chunks(tokens, spans) -> list[tuple[str, float, float]]:
    """Whisper-like chunks: one per sentence or clause, split at sentence ends and pauses."""
    out, cur = [], []
    for tok, (s, e) in zip(tokens, spans):
        if not tok.text:
            if cur:
                out.append(cur)
            cur = []
            continue
        cur.append((tok.text, s, e))
        if tok.text.endswith((".", "?", "!")):
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return [(" ".join(w for w, _, _ in c), c[0][1], c[-1][2]) for c in out]


def whisper_windows(chunks: list[tuple[str, float, float]], window_s: float = 30.0
                    ) -> list[tuple[str, float, float | None]]:
    """Chunk times as Whisper's long-form decoding writes them: relative to a window that restarts
    at the previous chunk's end whenever a chunk would end past ``window_s`` into the window; the
    last end is null."""
    out: list[tuple[str, float, float | None]] = []
    offset, prev_end = 0.0, 0.0
    for text, s, e in chunks:
        if e - offset > window_s:
            offset = prev_end
        out.append((text, round(s - offset, 2), round(e - offset, 2)))
        prev_end = round(e, 2)
    if out:
        out[-1] = (out[-1][0], out[-1][1], None)
    return out


# ----------------------------------------------------------------------------- media
def grid_dir() -> Path:
    """Where the GRID clips are: ``$AHCUE_SHARED_DATA/video/grid``, else ``../shared/data/video/grid``."""
    shared = os.environ.get("AHCUE_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data")
    return Path(shared) / "video" / "grid"


def _face_sources(n: int) -> list[tuple[object, str]]:
    from levelone.democorpus.face import astronaut_source, grid_source

    out = [(astronaut_source(), "Female")]
    for i in range(1, n):
        stem, gender = GRID_SPEAKERS[(i - 1) % len(GRID_SPEAKERS)]
        path = grid_dir() / f"{stem}.mpg"
        if not path.is_file():
            raise InputError(path, "GRID clip not found (the demo corpus needs ../shared/data/video/grid; "
                                   "set AHCUE_SHARED_DATA)")
        out.append((grid_source(path), gender))
    return out


def _motion_track(n_frames: int, segments: list[PlantedSegment], rng: np.random.Generator,
                  style: Style = REFERENCE) -> dict[str, np.ndarray]:
    from levelone.democorpus.face import jitter, planted_motion

    track = jitter(n_frames, FPS, rng, deg=style.head_jitter_deg)
    track["yaw"] += style.pose_offset_deg[0]
    track["pitch"] += style.pose_offset_deg[1]
    for seg in segments:
        m = seg.motion
        n = seg.end_frame - seg.start_frame + 1
        planted = planted_motion(m["kind"], n, FPS, m["amp_deg"], m["freq_hz"], m["sign"])
        for k, v in planted.items():
            track[k][seg.start_frame:seg.end_frame + 1] += v
    return track


def _encode(path: Path, renderer, track: dict[str, np.ndarray], audio: np.ndarray, tmp: Path) -> None:
    """Render every frame into ffmpeg (H.264, 24 fps) and mux it with the speech (AAC)."""
    from levelone.democorpus.face import FRAME_H, FRAME_W
    from levelone.democorpus.speech import SR, pcm16_wav

    wav = tmp / "speech.wav"
    wav.write_bytes(pcm16_wav(audio, SR))
    out = tmp / "video.mp4"
    cmd = ["ffmpeg", "-nostdin", "-y", "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
           "-s", f"{FRAME_W}x{FRAME_H}", "-r", str(FPS), "-i", "-", "-i", str(wav),
           "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23",
           "-pix_fmt", "yuv420p", "-threads", "1", "-c:a", "aac", "-b:a", "64k", "-ar", "22050",
           "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact",
           "-map_metadata", "-1", str(out)]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for i in range(len(track["yaw"])):
            frame = renderer.render(i, track["yaw"][i], track["pitch"][i], track["roll"][i],
                                    track["dx"][i], track["dy"][i])
            proc.stdin.write(frame.tobytes())
        proc.stdin.close()
    except BrokenPipeError:
        pass
    err = proc.stderr.read().decode(errors="replace")
    if proc.wait() != 0:
        raise RuntimeError(f"ffmpeg failed for {path.name}: {err.strip()}")
    path.parent.mkdir(parents=True, exist_ok=True)
    os.replace(out, path)
    wav.unlink()


def _write_crops(video: Path, folder: Path, renderer, track: dict[str, np.ndarray]) -> int:
    """One 256x256 face crop per frame the decoder yields; returns that count."""
    import av
    import cv2

    from levelone.democorpus.face import face_crop

    folder.mkdir(parents=True, exist_ok=True)
    n = 0
    with av.open(str(video)) as c:
        for frame in c.decode(video=0):
            k = min(n, len(track["dx"]) - 1)
            crop = face_crop(frame.to_ndarray(format="rgb24"), renderer.crop_box(track["dx"][k], track["dy"][k]))
            ok, buf = cv2.imencode(".jpg", crop[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 90])
            (folder / f"frame-{n}.jpg").write_bytes(buf.tobytes())
            n += 1
    return n


# ----------------------------------------------------------------------------- BAH files
def _tuple_dumper():
    import yaml

    class WhisperDumper(yaml.SafeDumper):
        """Writes tuples as ``!!python/tuple [a, b]``, as BAH's transcripts (PyYAML's default
        Dumper) do; our readers must accept that tag without an unsafe loader."""

    WhisperDumper.add_representer(
        tuple, lambda d, v: d.represent_sequence("tag:yaml.org,2002:python/tuple", list(v), flow_style=True))
    return WhisperDumper


def _cue_value(names: list[str], rng: np.random.Generator):
    """Annotators' formats vary: one string, a comma-separated string, or a list; empty as '', None or []."""
    if not names:
        return [None, "", []][int(rng.integers(0, 3))]
    style = int(rng.integers(0, 3))
    if style == 0 and len(names) == 1:
        return names[0]
    if style <= 1:
        return ", ".join(names)
    return list(names)


def _annotation_entry(plan: VideoPlan, rng: np.random.Generator, annotator: str) -> dict:
    vocab = load_vocabulary()
    frames_rel = [f"{plan.key}/frame-{i}.jpg" for i in range(plan.n_frames)]
    labels = np.zeros(plan.n_frames, np.int8)
    for seg in plan.segments:
        labels[seg.start_frame:seg.end_frame + 1] = 1
    all_cues = []
    for seg in plan.segments:
        entry = {}
        for key, modality in (("audio", "audio"), ("body", "body"), ("facial", "face"),
                              ("inconsistencies", None), ("language", "language")):
            if modality is None:
                names = [vocab.inconsistency(p).name if rng.random() < 0.5 else p for p in seg.pairs]
            else:
                names = [vocab[c].name if rng.random() < 0.7 else vocab[c].name.lower()
                         for c in seg.cues.get(modality, [])]
            entry[key] = _cue_value(names, rng)
        all_cues.append(entry)
    return {
        "global_ah": plan.label,
        "frame_annotation": [[p, int(v)] for p, v in zip(frames_rel, labels)],
        "fr_detailed_ah": [[s.start_frame, s.end_frame] for s in plan.segments],
        "time_detailed_ah": [[hms(s.start_frame / FPS), hms((s.end_frame + 1) / FPS)] for s in plan.segments],
        "all_cues": all_cues,
        "certainty_ah": [s.certainty for s in plan.segments],
        "annotator_id": annotator,
        "transcript": plan.text,
    }


def _write_bah_files(root: Path, plans: list[VideoPlan], meta: dict, rng: np.random.Generator) -> None:
    import yaml

    annotations = {p.key: _annotation_entry(p, rng, ANNOTATORS[int(rng.integers(0, len(ANNOTATORS)))])
                   for p in plans}
    (root / "video_annotation_transcript.yaml").write_text(
        yaml.safe_dump(annotations, sort_keys=False, allow_unicode=True, width=10_000), encoding="utf-8")
    dumper = _tuple_dumper()
    for p in plans:
        folder = root / "transcription" / p.key
        folder.mkdir(parents=True, exist_ok=True)
        doc = {"text": " " + p.text,
               "chunks": [{"language": "english", "text": " " + t, "timestamp": (s, e)}
                          for t, s, e in whisper_windows(p.chunks)]}
        (folder / f"{Path(p.name).stem}.yml").write_text(
            yaml.dump(doc, Dumper=dumper, sort_keys=False, allow_unicode=True, width=10_000), encoding="utf-8")
    for folder in ("split", "split-frames"):
        (root / folder).mkdir(exist_ok=True)
    for split in ("train", "val", "test"):
        mine = [p for p in plans if p.split == split]
        (root / "split" / f"{split}.txt").write_text(
            "".join(f"{p.key},{p.label},{p.text}\n" for p in mine), encoding="utf-8")
        lines = []
        for p in mine:
            labels = annotations[p.key]["frame_annotation"]
            lines += [f"{path},{v}\n" for path, v in labels]
        (root / "split-frames" / f"{split}.txt").write_text("".join(lines), encoding="utf-8")
    (root / "meta_data.yml").write_text(yaml.safe_dump(meta, sort_keys=False, allow_unicode=True), encoding="utf-8")
    (root / "class_id.yaml").write_text("With A-H: 1\nNo A-H: 0\n", encoding="utf-8")
    (root / "bah-video.csv").write_text(
        "video-path,label,split\n" + "".join(f"{p.key},{p.label},{p.split}\n" for p in plans), encoding="utf-8")


def _write_planted(root: Path, plans: list[VideoPlan], seed: int) -> None:
    doc = {
        "about": "Ground truth of the ahcue demo corpus (not a BAH file): planted A/H segments, their "
                 "cue ids, inconsistency pairs and head motions, and every word's time in seconds. "
                 "A test fixture, not evidence of accuracy on people.",
        "generator": "levelone.democorpus.build",
        "seed": seed,
        "fps": FPS,
        "videos": {p.key: {
            "participant": p.participant, "question": p.question, "label": p.label, "split": p.split,
            "n_frames": p.n_frames, "face": p.face, "voice": p.voice, "rate_wpm": p.rate,
            "style": asdict(p.style),
            "segments": [asdict(s) for s in p.segments],
            "words": [[w, round(s, 4), round(e, 4)] for w, s, e in p.words],
        } for p in plans},
    }
    (root / PLANTED_FILE).write_text(json.dumps(doc, indent=1), encoding="utf-8")


# ----------------------------------------------------------------------------- the generator
def _prepare_target(out_root: Path, force: bool) -> None:
    if out_root.exists():
        if not force:
            raise InputError(out_root, "already exists (use --force to overwrite)")
        if not out_root.is_dir() or (any(out_root.iterdir()) and not (out_root / PLANTED_FILE).is_file()):
            raise InputError(out_root, f"exists and is not a demo corpus (no {PLANTED_FILE}); refusing to replace it")


def generate(out_root: str | os.PathLike, participants: int = 3, seed: int = 0,
             questions: Sequence[int] | None = None, video_s: tuple[float, float] = (8, 14), *,
             long_video_s: float | None = 32.0, force: bool = False, shift: bool = False) -> Path:
    """Write a BAH-format corpus of ``participants`` people to ``out_root`` and return it.

    ``questions``: the question numbers (1-7) every participant answers; default three per person,
    drawn from the seed, with at least one answer with and one without A/H. ``video_s``: the
    range of answer lengths. ``long_video_s``: one A/H answer of about this length (> 30 s makes
    the transcript's timestamps restart as Whisper's do); None to skip. ``shift``: give the test
    participants their own :class:`Style` (see the module docstring). The corpus is built in a
    sibling folder and renamed into place, so a failure never leaves half a corpus.
    """
    from levelone.democorpus.face import HeadRenderer
    from levelone.democorpus.script import AH_PRIOR, TEMPLATES
    from levelone.democorpus.speech import SR, Synthesiser

    out_root = Path(out_root)
    if participants < 1 or participants > 1 + len(GRID_SPEAKERS):
        raise InputError(None, f"participants must be between 1 and {1 + len(GRID_SPEAKERS)}")
    if questions is not None and (not questions or any(int(q) not in range(1, 8) for q in questions)):
        raise InputError(None, f"questions must be numbers 1-7, got {list(questions)}")
    lo, hi = float(video_s[0]), float(video_s[1])
    if not 2.0 <= lo <= hi:
        raise InputError(None, f"video_s must be (min, max) with 2 <= min <= max, got {video_s}")
    _prepare_target(out_root, force)
    by_template = {t.name: t for t in TEMPLATES}
    rng = np.random.default_rng(seed)
    sources = _face_sources(participants)
    vocab = load_vocabulary()
    out_root.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out_root.name}.partial-", dir=out_root.parent))
    try:
        plans: list[VideoPlan] = []
        meta: dict[str, dict] = {}
        used_pids: set[str] = set()
        video_index = 0
        long_left = long_video_s
        for i in range(participants):
            prng = np.random.default_rng([seed, i])
            pid = str(int(rng.integers(10_000, 99_999)))
            while pid in used_pids:
                pid = str(int(rng.integers(10_000, 99_999)))
            used_pids.add(pid)
            source, gender = sources[i]
            voices = VOICES[gender]
            voice = voices[int(prng.integers(0, len(voices)))]
            style = style_for(i, participants, shift)
            rate = int(prng.integers(150, 181)) + style.rate_delta_wpm
            synth = Synthesiser(voice, pitch=int(prng.integers(35, 66)))
            renderer = HeadRenderer(source)
            age = int(prng.integers(19, 70))
            meta[pid] = {"Age": age, "Age range": f"{age // 10 * 10}-{age // 10 * 10 + 9}",
                         "Birth country": "Not stated (demo)", "Canada province": "Quebec",
                         "Ethnicity": "Not stated (demo)", "Ethnicity simplified": "Not stated (demo)",
                         "Gender": gender, "Is student": "No", "Use in challenges": "Yes",
                         "Use in publications": "No"}
            qs = [int(q) for q in questions] if questions is not None else sorted(
                int(q) for q in prng.choice(np.arange(1, 8), size=3, replace=False))
            labels = [int(prng.random() < AH_PRIOR[q]) for q in qs]
            if questions is None and len(set(labels)) == 1:  # one of each per person
                j = max(range(len(qs)), key=lambda k: AH_PRIOR[qs[k]] * (1 if labels[k] == 0 else -1))
                labels[j] = 1 - labels[j]
            when = [2024, 10, 2 + i, 14 + int(prng.integers(0, 5)), int(prng.integers(0, 35)),
                    int(prng.integers(0, 60))]
            for q, label in zip(qs, labels):
                vrng = np.random.default_rng([seed, i, q])
                target = float(vrng.uniform(lo, hi))
                if label and long_left:
                    target, long_left = long_left, None
                name = _video_name(pid, q, tuple(when), spaced=video_index % 4 == 1,
                                   suffix=SUFFIXES[(video_index // 5) % 2] if video_index % 5 == 3 else "")
                when[4] += 2 + int(vrng.integers(0, 3))
                video_index += 1
                n_test = shift_test_count(participants) if shift else 1
                plan = VideoPlan(f"Videos/{pid}/Visite_1/{name}", pid, q, label, _split_for(i, participants, n_test),
                                 face=source.name, voice=voice, rate=rate, style=style)
                tokens, spans, audio, ranges = _plan_tokens(vrng, q, label, target, rate, synth, style)
                total_s = audio.size / SR + 0.5
                plan.n_frames = int(math.ceil(total_s * FPS))
                audio = np.concatenate([audio, np.zeros(int(round(plan.n_frames / FPS * SR)) - audio.size, np.float32)])
                plan.words = [(t.text, s, e) for t, (s, e) in zip(tokens, spans) if t.text]
                plan.chunks = _chunks(tokens, spans)
                for a, b, template in ranges:
                    t = by_template[template.name]
                    start_s, end_s = max(0.0, spans[a][0] - 0.1), spans[b][1] + 0.1
                    kind = t.motion or ("shake", "nod", "tilt", "look_away")[int(vrng.integers(0, 4))]
                    amp, freq = MOTION[kind]
                    amp = float(np.round(amp * vrng.uniform(0.9, 1.1) * style.motion_gain, 1))
                    sign = 1.0 if kind in ("shake", "nod") else float(vrng.choice([-1.0, 1.0]))
                    cues = {"language": list(t.language), "audio": ["audio.pause", "audio.slow"],
                            "body": [f"body.{kind}"]}
                    plan.segments.append(PlantedSegment(
                        round(start_s, 4), round(end_s, 4), int(start_s * FPS),
                        min(plan.n_frames - 1, int(math.ceil(end_s * FPS)) - 1), t.name, cues, list(t.pairs),
                        {"kind": kind, "amp_deg": amp, "freq_hz": freq, "sign": sign},
                        int(vrng.integers(2, 5))))
                for seg in plan.segments:
                    for m, ids in seg.cues.items():
                        assert all(c in vocab for c in ids), ids
                track = _motion_track(plan.n_frames, plan.segments, vrng, style)
                with tempfile.TemporaryDirectory(dir=stage) as tmp:
                    _encode(stage / plan.key, renderer, track, audio, Path(tmp))
                decoded = _write_crops(stage / plan.key, stage / "cropped-aligned-faces" / plan.key, renderer, track)
                if decoded != plan.n_frames:
                    raise RuntimeError(f"{plan.key}: rendered {plan.n_frames} frames, decoder counts {decoded}")
                plans.append(plan)
        _write_bah_files(stage, plans, meta, rng)
        _write_planted(stage, plans, seed)
        if out_root.exists():
            trash = Path(tempfile.mkdtemp(prefix=f".{out_root.name}.old-", dir=out_root.parent))
            os.replace(out_root, trash / "old")
            shutil.rmtree(trash)
        os.replace(stage, out_root)
    finally:
        if stage.exists():
            shutil.rmtree(stage)
    return out_root


def load_planted(root: str | os.PathLike) -> dict:
    """The ground truth ``ahcue_planted.json`` of a generated corpus."""
    path = Path(root) / PLANTED_FILE
    if not path.is_file():
        raise InputError(path, "not found: not an ahcue demo corpus")
    return json.loads(path.read_text(encoding="utf-8"))
