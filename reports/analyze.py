"""The end-to-end pipeline for one video: features, prediction, ELAN file, report.

``analyze`` runs level one (:func:`levelone.pipeline.extract.extract`) into ``features.parquet``, the level-two
detector (:func:`leveltwo.predict.predict_video`) into ``prediction.json``, then renders
``segments.eaf`` and ``report.html`` (and ``report.pdf`` on request) from those two files only, so
``ahcue report`` can re-render them later without running a model. Without a transcript (given or
a sidecar file) level one transcribes the video once (:func:`levelone.media.asr.recognise`:
language ID, deterministic decoding, uncertain words marked) and records what it heard in the
FrameTable's metadata; the prediction and the report take the words from there, and the record is
also kept in ``transcript.json``. The output folder is checked up front: existing outputs are
refused unless ``force``, and every file is written atomically.
"""
from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from codebook.atomic import check_writable, write_text
from codebook.errors import InputError

if TYPE_CHECKING:
    from levelone.media.transcript import Transcription
    from leveltwo.predict import Prediction

OUTPUTS = ("features.parquet", "prediction.json", "segments.eaf", "report.html")
STAGES = ("level one: features and transcript", "level two: model", "level two: prediction", "ELAN export", "report")


def load_annotation(spec: str | Path, fps: float, n_frames: int | None, video: str | Path,
                    video_id: str | None = None):
    """The annotators' record of one video from ``.eaf``, ``.csv`` or BAH's annotation YAML.

    For the YAML, ``FILE::KEY`` names the entry; a bare ``FILE`` finds the entry whose key ends in
    the video's file name. A CSV's ``video_id`` column must name this video (its file name or stem);
    an ELAN file that links media must link this video. Annotations running past the end of the
    video are refused (:func:`check_annotation`).
    """
    from codebook.annotation_files import read_annotation

    ann = read_annotation(spec, fps, n_frames, video, video_id)
    check_annotation(ann, spec, fps, n_frames, video)
    return ann


def check_annotation(ann, spec, fps: float, n_frames: int | None, video: str | Path) -> None:
    """Refuse annotations that run past the video's end (they belong to another video) by more
    than one frame of rounding."""
    if n_frames is None:
        return
    path = str(spec).split("::", 1)[0]
    duration = n_frames / fps
    for seg in ann.segments:
        if int(seg.end_frame) > int(n_frames):
            raise InputError(path, f"an annotated segment ({seg.start_s:.1f}-{seg.end_s:.1f} s) runs past the end "
                                   f"of {Path(str(video)).name} ({duration:.1f} s): are these annotations "
                                   "for another video?")


@dataclass(frozen=True)
class AnalyzeResult:
    """What :func:`analyze` made: the prediction, the files written, the stage timings and the
    transcript level one used (None when there was no sound and no transcript)."""

    prediction: "Prediction"
    files: dict[str, Path]
    timings_s: dict[str, float]
    transcript: "Transcription | None" = None


def analyze(video: str | Path, out_dir: str | Path, transcript: str | Path | None = None,
            speaker: str | None = None, neutral: str | Path | None = None, person: str | None = None,
            model_dir: str | Path | None = None, annotation: str | Path | None = None, asr: bool = True,
            force: bool = False, progress: bool = True, pdf: bool = False,
            on_stage: Callable[[int, str], None] | None = None, kind: str | None = None,
            adapt: str = "none", cache_dir: str | Path | None = None, video_mode: str = "link") -> AnalyzeResult:
    """Everything for one video (see the module docstring).

    ``annotation`` (a file, see :func:`load_annotation`) puts the annotators' segments into the
    prediction, the timeline and the ELAN file; it is read and checked against the video before
    any heavy work. ``on_stage(i, name)`` is called as each stage starts (the CLI's progress
    display); with ``progress`` the extractor shows its own progress bar. ``kind`` checks the
    model folder's kind (see :func:`leveltwo.models.load_model`). ``adapt``: ``'tta'`` adapts the
    model to this video's person as it goes (:mod:`leveltwo.tta`). ``speaker`` names the person
    in a multi-speaker transcript (:func:`levelone.media.transcript.load_conversation`); ``neutral``
    is a recording of the same person declared neutral (:func:`levelone.pipeline.inputs.plan`);
    ``person`` which face is the participant (``--person``, :func:`levelone.face.people.choose_person`).
    ``cache_dir``: level one's cache (default: ``AHCUE_CACHE`` or the user cache).
    ``video_mode`` says how report.html gets the video (:func:`reports.video.report_video`).
    """
    from levelone.frametable import read
    from levelone.media.transcript import Transcription
    from levelone.media.video import probe
    from levelone.pipeline.extract import extract, plan
    from leveltwo.predict import predict_video
    from reports.elan import write_segments_eaf
    from reports.html import print_pdf, render_report
    from reports.video import check_video_mode, report_video

    video = Path(video)
    out_dir = Path(out_dir)
    if video.is_dir():
        raise InputError(video, "is a directory, not a video file")
    if not video.is_file():
        raise InputError(video, "video not found")
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(out_dir, "exists and is not a folder")
    names = OUTPUTS + (("report.pdf",) if pdf else ())
    for name in names:
        check_writable(out_dir / name, force)
    check_model_dir(model_dir)
    check_video_mode(video, video_mode)
    # checks the transcript, the neutral recording and the person early
    job = plan(video, transcript, speaker, neutral, person).jobs[0]
    info = probe(video)
    ann = None
    if annotation is not None:
        ann = load_annotation(annotation, info.fps, info.n_frames, video, job.video_id)
    transcribing = job.transcript is None and asr and info.has_audio
    if transcribing:  # level one's recognised words are kept beside the outputs
        names += ("transcript.json",)
        check_writable(out_dir / "transcript.json", force)
    files = {n: out_dir / n for n in names}
    timings: dict[str, float] = {}

    def stage(i: int) -> float:
        if on_stage is not None:
            on_stage(i, STAGES[i])
        return time.perf_counter()

    t = stage(0)
    # Level one transcribes (or reads the transcript) once and records what it used in the
    # FrameTable's metadata: the report quotes exactly the words the language evidence came from.
    extract(video, out=files["features.parquet"], transcript=job.transcript, asr=asr, force=True,
            progress=progress, speaker=speaker, neutral=neutral, person=person, cache_dir=cache_dir)
    table = read(files["features.parquet"])
    heard = Transcription.from_dict(table.meta.transcript) if table.meta.transcript else None
    if transcribing and heard is not None:
        write_text(files["transcript.json"], json.dumps(heard.to_dict(), indent=1) + "\n")
    elif "transcript.json" in files:
        del files["transcript.json"]
    timings["features"] = time.perf_counter() - t

    t = stage(1)
    from leveltwo.tta import adapt as adapt_model

    from leveltwo.models import load_model

    model = adapt_model(load_model(model_dir, kind), adapt)
    timings["model"] = time.perf_counter() - t

    t = stage(2)
    if ann is not None and abs(float(ann.fps) - float(table.meta.fps)) > 1e-6:
        ann = load_annotation(annotation, table.meta.fps, table.meta.n_frames, video, table.meta.video_id)
    prediction = predict_video(model, table, annotation=ann, source=str(video), has_audio=bool(info.has_audio))
    write_text(files["prediction.json"], prediction.to_json(indent=1) + "\n")
    timings["prediction"] = time.perf_counter() - t

    t = stage(3)
    write_segments_eaf(files["segments.eaf"], prediction, table, media=video, force=True)
    timings["elan"] = time.perf_counter() - t

    t = stage(4)
    ref = report_video(prediction, out_dir, video_mode)
    write_text(files["report.html"], render_report(prediction, table, video=ref))
    if pdf:
        print_pdf(files["report.html"], files["report.pdf"])
    timings["report"] = time.perf_counter() - t
    return AnalyzeResult(prediction, files, {k: round(v, 3) for k, v in timings.items()}, heard)


def check_model_dir(model_dir: str | Path | None) -> None:
    """A given ``--model`` must be a folder (checked before any heavy work; the kind is checked when it loads)."""
    if model_dir is not None and (not Path(model_dir).exists() or not Path(model_dir).is_dir()):
        from leveltwo.models import load_model
        load_model(model_dir)  # raises the InputError naming the folder


class StageLog:
    """Progress for the terminal or a log: one line per stage with the previous stage's time, and
    the total time at the end (:meth:`done`). Lines, not a redrawn bar, so a log file stays short."""

    def __init__(self, stream=None, stages: tuple[str, ...] = STAGES) -> None:
        self.stream = stream or sys.stderr
        self.stages = stages
        self.t0 = self.last = time.perf_counter()

    def _line(self, text: str) -> None:
        # what is waiting in stdout's buffer was printed first: with both streams sent to one
        # file or pipe (2>&1), it must not land after (or in the middle of) this line
        sys.stdout.flush()
        print(text, file=self.stream, flush=True)

    def __call__(self, i: int, name: str) -> None:
        now = time.perf_counter()
        took = f"  (previous stage {now - self.last:.1f} s)" if i else ""
        self._line(f"[{i + 1}/{len(self.stages)}] {name}{took}")
        self.last = now

    def done(self) -> None:
        now = time.perf_counter()
        self._line(f"done in {now - self.t0:.1f} s (last stage {now - self.last:.1f} s)")


def stage_printer(stream=None) -> StageLog:
    """A :class:`StageLog` on ``stream`` (stderr by default)."""
    return StageLog(stream)
