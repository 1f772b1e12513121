"""The end-to-end pipeline for one video: features, prediction, ELAN file, report.

``analyze`` runs level one (:func:`levelone.pipeline.extract.extract`) into ``features.parquet``, the level-two
detector (:func:`leveltwo.predict.predict_video`) into ``prediction.json``, then renders
``segments.eaf`` and ``report.html`` (and ``report.pdf`` on request) from those two files only, so
``ahcue report`` can re-render them later without running a model. Without a transcript (given or
a sidecar file) the video is transcribed once here (offline Whisper tiny.en) and the words kept in
``transcript.json``: level one reads them from there and the report quotes them. The output folder is checked
up front: existing outputs are refused unless ``force``, and every file is written atomically.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

from codebook.atomic import check_writable, write_text
from codebook.errors import InputError

OUTPUTS = ("features.parquet", "prediction.json", "segments.eaf", "report.html")
STAGES = ("transcript", "level one: features", "level two: model", "level two: prediction", "ELAN export", "report")


def _find_video(entries: dict, video: Path) -> str | None:
    """The BAH annotation key naming this video file (by file name, then by stem)."""
    for match in (lambda k: Path(k).name == video.name, lambda k: Path(k).stem == video.stem):
        keys = [k for k in entries if match(str(k))]
        if len(keys) == 1:
            return keys[0]
    return None


def load_annotation(spec: str | Path, fps: float, n_frames: int | None, video: str | Path,
                    video_id: str | None = None):
    """The annotators' record of one video from ``.eaf``, ``.csv`` or BAH's annotation YAML.

    For the YAML, ``FILE::KEY`` names the entry; a bare ``FILE`` finds the entry whose key ends in
    the video's file name. A CSV must hold this video's id, or only one video.
    """
    from codebook.annotations import read_csv
    from codebook.bah import annotation_from_entry, load_yaml
    from codebook.eaf import read_eaf

    text = str(spec)
    key = None
    if "::" in text:
        text, key = text.split("::", 1)
    path = Path(text)
    video = Path(video)
    vid = video_id or video.stem
    if not path.is_file():
        raise InputError(path, "annotation file not found")
    suffix = path.suffix.lower()
    if suffix == ".eaf":
        return read_eaf(path, fps, video_id=vid, n_frames=n_frames)
    if suffix == ".csv":
        videos = read_csv(path, fps)
        chosen = [a for a in videos if a.video_id in (vid, video.name, str(video))]
        if not chosen and len(videos) == 1:
            chosen = videos
        if len(chosen) != 1:
            raise InputError(path, f"no rows for video id {vid!r} (ids: {', '.join(a.video_id for a in videos[:5])})")
        return chosen[0]
    if suffix in (".yaml", ".yml"):
        entries = load_yaml(path)
        if not isinstance(entries, dict):
            raise InputError(path, "not a BAH annotation YAML (expected a mapping keyed by video path)")
        key = key or _find_video(entries, video)
        if key is None or key not in entries:
            raise InputError(path, f"no entry for {video.name!r} (name it as FILE::KEY)")
        return annotation_from_entry(key, entries[key], fps=fps, source=path)
    raise InputError(path, "annotations must be .eaf, .csv or BAH's annotation .yaml")


def _has_audio(video: Path) -> bool:
    from levelone.media.video import probe

    return bool(probe(video).has_audio)


def _prediction_dict(prediction) -> dict:
    doc = prediction.to_json() if hasattr(prediction, "to_json") else prediction
    return json.loads(doc) if isinstance(doc, str) else doc


def analyze(video: str | Path, out_dir: str | Path, transcript: str | Path | None = None,
            model_dir: str | Path | None = None, annotation: str | Path | None = None, asr: bool = True,
            force: bool = False, progress: bool = True, pdf: bool = False,
            on_stage: Callable[[int, str], None] | None = None, adapt: str = "none") -> dict:
    """Everything for one video; returns ``{"prediction", "files", "timings_s"}``.

    ``annotation`` (a file, see :func:`load_annotation`) puts the annotators' segments into the
    prediction, the timeline and the ELAN file. ``on_stage(i, name)`` is called as each stage starts
    (the CLI's progress display); with ``progress`` the extractor shows its own progress bar.
    ``adapt``: ``'tta'`` adapts the model to this video's person as it goes (:mod:`leveltwo.tta`).
    """
    from levelone.pipeline.extract import extract, plan
    from levelone.frametable import read
    from levelone.media.transcript import load_transcript
    from leveltwo.models import load_model
    from leveltwo.predict import predict_video
    from reports.elan import write_segments_eaf
    from reports.html import print_pdf, render_report

    video = Path(video)
    out_dir = Path(out_dir)
    if not video.is_file():
        raise InputError(video, "video not found")
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(out_dir, "exists and is not a folder")
    names = OUTPUTS + (("report.pdf",) if pdf else ())
    for name in names:
        check_writable(out_dir / name, force)
    if model_dir is not None and not Path(model_dir).is_dir():
        raise InputError(model_dir, "model folder not found")
    # The transcript the extractor would use (given, or a sidecar file); without one, transcribe
    # here once and keep the words: they feed both level one and the segments' transcript excerpts.
    job = plan(video, transcript).jobs[0]
    transcribing = job.transcript is None and asr and _has_audio(video)
    if transcribing:
        names += ("transcript.json",)
        check_writable(out_dir / "transcript.json", force)
    files = {n: out_dir / n for n in names}
    timings: dict[str, float] = {}

    def stage(i: int) -> float:
        if on_stage is not None:
            on_stage(i, STAGES[i])
        return time.perf_counter()

    t = stage(0)
    words = None
    if job.transcript is not None:
        words = load_transcript(job.transcript)
    elif transcribing:
        from levelone.media.asr import transcribe

        words = transcribe(video)
    timings["transcript"] = time.perf_counter() - t

    t = stage(1)
    if transcribing:
        # The words go to level one through transcript.json, which is kept only if extraction works.
        doc = {"source": str(video), "words": [{"word": w.text, "start": round(w.start_s, 3),
                                                 "end": round(w.end_s, 3)} for w in words]}
        text = json.dumps(doc, indent=1) + "\n"
        with tempfile.TemporaryDirectory(prefix="ahcue-transcript-") as tmp:
            (Path(tmp) / "transcript.json").write_text(text, encoding="utf-8")
            # A fixed mtime makes the level-one cache key depend on the words alone, so re-running
            # analyze on the same video reuses the cached vision signals.
            os.utime(Path(tmp) / "transcript.json", ns=(0, 0))
            extract(video, out=files["features.parquet"], transcript=Path(tmp) / "transcript.json", asr=False,
                    force=True, progress=progress)
        write_text(files["transcript.json"], text)
    else:
        extract(video, out=files["features.parquet"], transcript=job.transcript, asr=False, force=True,
                progress=progress)
    table = read(files["features.parquet"])
    timings["features"] = time.perf_counter() - t

    t = stage(2)
    from leveltwo.tta import adapt as adapt_model

    model = adapt_model(load_model(model_dir), adapt)
    timings["model"] = time.perf_counter() - t

    t = stage(3)
    ann = None
    if annotation is not None:
        ann = load_annotation(annotation, table.meta.fps, table.meta.n_frames, video, table.meta.video_id)
    prediction = _prediction_dict(predict_video(model, table, annotation=ann, words=words))
    prediction["source"] = str(video)
    write_text(files["prediction.json"], json.dumps(prediction, indent=1) + "\n")
    timings["prediction"] = time.perf_counter() - t

    t = stage(4)
    write_segments_eaf(files["segments.eaf"], prediction, table, media=video, force=True)
    timings["elan"] = time.perf_counter() - t

    t = stage(5)
    write_text(files["report.html"], render_report(prediction, table))
    if pdf:
        print_pdf(files["report.html"], files["report.pdf"])
    timings["report"] = time.perf_counter() - t
    return {"prediction": prediction, "files": {k: str(v) for k, v in files.items()},
            "timings_s": {k: round(v, 3) for k, v in timings.items()}}


def stage_printer(stream=None) -> Callable[[int, str], None]:
    """A progress display: one line per stage with the time since the previous one."""
    stream = stream or sys.stderr
    start = [time.perf_counter()]

    def show(i: int, name: str) -> None:
        now = time.perf_counter()
        print(f"[{i + 1}/{len(STAGES)}] {name}" + (f"  (previous stage {now - start[0]:.1f} s)" if i else ""),
              file=stream, flush=True)
        start[0] = now
    return show
