"""The zero-shot LLM comparator (``--kind llm``) beside the trained models, with its cost.

Two parts, each optional:

- ``--annomi``: AnnoMI (the shared data folder), where language carries the signal. A simple
  conversation-grouped split of our own (sessions grouped by ``video_url``; ``--test-share`` of the
  conversations, seeded) -- the language helper's "honest folds" were not on main when this was
  written. (a) zero-shot change / neutral / sustain on a class-balanced sample of the test
  conversations' client utterances (``--utterances``; the previous therapist turn as context),
  macro-F1 beside the shipped trained stance heads on the same sample (in-sample for them: the
  shipped heads were fitted on all of AnnoMI; their out-of-fold macro-F1 from
  ``levelone/data/text_heads.json`` is quoted beside it). (b) sessions holding both change and
  sustain talk vs the others: one prompt per test session with the client's utterances
  (``--sessions``, balanced, truncated to ``--session-words``), session ROC AUC beside the language
  channel's out-of-fold conversation-level AUC from ``text_heads.json``.
- ``--demo-root ROOT``: a generated, extracted demo corpus (``ahcue demo-corpus``; **a system test,
  not accuracy on people**): the LLM comparator beside conflict / xgboost / fusion (``--demo-models``)
  on the same test split, scored as ``benchmarks/comparators.py`` scores them (frame AVGF1 and AP,
  video macro-F1, segment F1 with the training annotations' durations). The trained models are fitted
  on train and tuned on val; the LLM fits nothing, and its threshold is tuned on ``--train-videos``
  training videos (alternately with and without A/H) so that the 1.5B model's run stays short.

Cost: seconds per utterance and per minute of video, prompt tokens, and the share of the model's
compute time spent on the prompt (prefill) vs generating the answer, from llama.cpp's timings
(answers already in the answer cache cost nothing and are left out of the cost figures).

    nice -n 10 python benchmarks/llm.py --annomi --utterances 30 --sessions 10 --json llm.json
    ahcue demo-corpus /tmp/demo --participants 4 --seed 0 --no-long-video && ahcue extract /tmp/demo --no-asr
    AHCUE_THREADS=1 nice -n 10 python benchmarks/llm.py --demo-root /tmp/demo --train-videos 2 --json llm_demo.json

On a loaded machine (more runnable processes than cores) give llama.cpp one thread
(``AHCUE_THREADS=1``): its worker threads wait for each other by spinning, which is several times
slower when other processes hold the cores.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

LABELS = ("change", "neutral", "sustain")


def shared() -> Path:
    return Path(os.environ.get("AHCUE_SHARED_DATA", REPO.parent / "shared" / "data"))


def annomi_split(seed: int, test_share: float):
    """(utterances, test conversation ids): AnnoMI-simple with ``conv`` = its ``video_url``."""
    import numpy as np
    import pandas as pd

    path = shared() / "annomi" / "AnnoMI-simple.csv"
    if not path.is_file():
        raise SystemExit(f"{path}: not found (set AHCUE_SHARED_DATA)")
    d = pd.read_csv(path)
    d["conv"] = d["video_url"].astype(str)
    convs = np.array(sorted(d["conv"].unique()))
    rng = np.random.default_rng(seed)
    test = set(convs[rng.permutation(len(convs))[: max(1, int(round(test_share * len(convs))))]])
    return d, test


def _chat(version: str, **fields) -> tuple[str, str]:
    """(system, user) of the packaged prompt ``leveltwo/data/llm_prompt_<version>.txt``, filled in."""
    from leveltwo.llm import load_prompt

    system, user = load_prompt(version)
    return system, user.format(**fields)


def utterance_task(d, test: set, n: int, seed: int, model: str) -> dict:
    """Zero-shot change/neutral/sustain on a balanced sample of test client utterances."""
    import numpy as np
    import pandas as pd
    from sklearn.metrics import f1_score

    from leveltwo.llm import chatml, complete, label_probabilities, prompt_sha256

    d = d.reset_index(drop=True)
    prev = d.groupby("conv")["utterance_text"].shift(1).fillna("")
    prev_who = d.groupby("conv")["interlocutor"].shift(1).fillna("")
    d["context"] = np.where(prev_who == "therapist", prev, "")
    pool = d[(d["interlocutor"] == "client") & d["conv"].isin(test) & d["client_talk_type"].isin(LABELS)]
    per = max(1, n // len(LABELS))
    sample = pd.concat([g.sample(min(per, len(g)), random_state=seed) for _, g in pool.groupby("client_talk_type")])
    sample = sample.sort_index()
    gbnf = 'root ::= ( "change" | "neutral" | "sustain" ) "\\"}"\n'
    preds, probs, timings, cached = [], [], [], 0
    for _, row in sample.iterrows():
        system, user = _chat("annomi_v1", context=json.dumps(str(row["context"])[:600]),
                             utterance=json.dumps(str(row["utterance_text"])))
        r = complete(model, chatml(system, user, '{"talk": "'), gbnf,
                     key_extra={"prompt_sha256": prompt_sha256("annomi_v1")})
        p = label_probabilities(r["top"], LABELS)
        probs.append([p[c] for c in LABELS])
        preds.append(r["text"].split('"')[0])
        if r["cached"]:
            cached += 1
        else:
            timings.append(r["timings"])
    y = sample["client_talk_type"].tolist()
    out = {"n": len(sample), "per_class": {c: int((sample["client_talk_type"] == c).sum()) for c in LABELS},
           "test_conversations": len(test), "macro_f1_llm": round(float(f1_score(y, preds, labels=list(LABELS),
                                                                                   average="macro")), 4),
           "macro_f1_llm_argmax_prob": round(float(f1_score(y, [LABELS[int(np.argmax(p))] for p in probs],
                                                            labels=list(LABELS), average="macro")), 4),
           "cost": _cost(timings), "cached_answers": cached}
    try:  # the shipped trained stance heads on the same utterances (in-sample: fitted on all of AnnoMI)
        from levelone.language.textaffect import TextAffect

        scores = TextAffect().score(sample["utterance_text"].astype(str).tolist())
        hp = scores[["p_change", "p_neutral", "p_sustain"]].to_numpy(float)
        out["macro_f1_shipped_heads_in_sample"] = round(float(f1_score(
            y, [LABELS[int(np.argmax(p))] for p in hp], labels=list(LABELS), average="macro")), 4)
    except Exception as err:  # noqa: BLE001 -- said in the output, never silently dropped
        out["macro_f1_shipped_heads_in_sample"] = f"not run: {err}"
    return out


def session_task(d, test: set, n: int, seed: int, model: str, max_words: int) -> dict:
    """Sessions with both change and sustain talk vs the others: one prompt per session, ROC AUC."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    from leveltwo.llm import chatml, complete, label_probabilities, prompt_sha256

    rows = []
    for conv, g in d[d["conv"].isin(test)].groupby("conv"):
        client = g[g["interlocutor"] == "client"]
        talk = set(client["client_talk_type"].dropna())
        rows.append((conv, int({"change", "sustain"} <= talk), client["utterance_text"].astype(str).tolist()))
    rng = np.random.default_rng(seed)
    pos = [r for r in rows if r[1]]
    neg = [r for r in rows if not r[1]]
    k = max(1, n // 2)
    pick = [pos[i] for i in rng.permutation(len(pos))[:k]] + [neg[i] for i in rng.permutation(len(neg))[:k]]
    gbnf = 'root ::= ( "yes" | "no" ) "\\"}"\n'
    y, s, timings, cached, words = [], [], [], 0, []
    for conv, label, utts in pick:
        lines, count = [], 0
        for u in utts:
            w = len(u.split())
            if count + w > max_words:
                break
            lines.append(f"- {u}")
            count += w
        words.append(count)
        system, user = _chat("session_v1", utterances="\n".join(lines) or "- (nothing)")
        r = complete(model, chatml(system, user, '{"ambivalent": "'), gbnf,
                     key_extra={"prompt_sha256": prompt_sha256("session_v1")}, n_ctx=4096)
        y.append(label)
        s.append(label_probabilities(r["top"], ("yes", "no"))["yes"])
        if r["cached"]:
            cached += 1
        else:
            timings.append(r["timings"])
    auc = float(roc_auc_score(y, s)) if 0 < sum(y) < len(y) else float("nan")
    return {"n_sessions": len(pick), "n_both_talk": int(sum(y)), "session_roc_auc_llm": round(auc, 4),
            "mean_client_words_shown": round(float(np.mean(words)), 1), "cost": _cost(timings),
            "cached_answers": cached}


def _cost(timings: list[dict]) -> dict:
    if not timings:
        return {"computed": 0}
    pm = sum(t["prompt_ms"] or 0 for t in timings)
    gm = sum(t["predicted_ms"] or 0 for t in timings)
    wall = sum(t["wall_ms"] or 0 for t in timings)
    return {"computed": len(timings), "seconds_per_prompt": round(wall / 1000 / len(timings), 2),
            "prompt_tokens_mean": round(sum(t["prompt_tokens"] or 0 for t in timings) / len(timings), 1),
            "prefill_share": round(pm / max(pm + gm, 1e-9), 3),
            "prefill_tokens_per_s": round(sum(t["prompt_tokens"] or 0 for t in timings) / max(pm / 1000, 1e-9), 1),
            "generated_tokens_per_s": round(sum(t["predicted_tokens"] or 0 for t in timings) / max(gm / 1000, 1e-9), 1)}


def sample_task(model: str, seed: int) -> dict:
    """Cost per minute of video: the detector over the bundled 20.7 s sample clip with its transcript."""
    from levelone.frametable import read
    from levelone.media.transcript import load_conversation
    from levelone.pipeline.extract import extract
    from leveltwo.llm import LLMDetector

    folder = REPO / "levelone" / "data" / "sample"
    video, transcript = folder / "sample.mp4", folder / "sample.yml"
    table = read(extract(video, transcript=transcript, asr=False, progress=False)[0])
    words = load_conversation(transcript)[0]
    det = LLMDetector(model=model, seed=seed)
    t0 = time.perf_counter()
    pairs = det.answers(table, words)
    dt = time.perf_counter() - t0
    minutes = table.meta.duration_s / 60
    computed = [a.timings for _, a in pairs if a.timings]
    return {"video_s": round(table.meta.duration_s, 2), "window_s": det.effective_window_s(), "windows": len(pairs),
            "answers": [{"start_s": round(w.start_frame / table.fps, 2), "p_ah": a.p_ah, "cues": list(a.cues)}
                        for w, a in pairs],
            "cost": _cost(computed),
            "seconds_per_minute_of_video": round(dt / minutes, 1) if len(computed) == len(pairs) else None}


def _train_subset(train, n_videos: int):
    """The first ``n_videos`` training videos in split order, alternating A/H and non-A/H ones, so the
    threshold sees both kinds (the LLM fits no weights; the subset only keeps the 1.5B model's cost down)."""
    from leveltwo.dataset import Split

    ah = [i for i, v in enumerate(train.video_labels) if v]
    other = [i for i, v in enumerate(train.video_labels) if not v]
    pick = []
    while len(pick) < n_videos and (ah or other):
        for pool in (ah, other):
            if pool and len(pick) < n_videos:
                pick.append(pool.pop(0))
    pick.sort()
    sub = Split(f"{train.name} (subset of {len(pick)} videos)")
    for name in ("tables", "labels", "video_labels", "keys", "annotations"):
        getattr(sub, name).extend(getattr(train, name)[i] for i in pick)
    return sub


def demo_task(root: str, model: str, seed: int, train_videos: int,
              kinds: tuple[str, ...] = ("conflict", "xgboost", "fusion")) -> dict:
    """System test on an extracted demo corpus: the LLM comparator beside conflict / xgboost / fusion on
    the same test split, scored with :func:`benchmarks.comparators.score` (BAH's frame AVGF1 and AP,
    video macro-F1 over ``sliding_max_24``, segment F1), each at its own tuned threshold: the trained
    models' on val, the LLM's on ``train_videos`` training videos (:func:`_train_subset`)."""
    from benchmarks.comparators import _fit, score
    from leveltwo.dataset import extract_tables, load_split
    from leveltwo.llm import LLMDetector
    from leveltwo.segments import SegmentPrior

    tables = extract_tables(root, asr=False, progress=False)
    tr, va, te = (load_split(root, s, tables) for s in ("train", "val", "test"))
    prior = SegmentPrior.from_annotations(tr.annotations)
    sub = _train_subset(tr, train_videos)
    minutes = sum(t.meta.duration_s for t in te.tables) / 60
    out = {"corpus": str(root), "splits": {s.name: s.describe() for s in (tr, va, te)},
           "llm_threshold_from": sub.describe(), "models": {}}
    for kind in kinds:
        m, seconds = _fit(kind, tr, va, seed, "cpu")
        out["models"][kind] = dict(_rounded(score(m, te, float(m.threshold_), prior)),
                                   threshold=round(float(m.threshold_), 3), train_seconds=round(seconds, 1),
                                   threshold_from="val")
        print(f"{kind}: trained in {seconds:.1f} s", file=sys.stderr, flush=True)
    det = LLMDetector(model=model, seed=seed)
    det.segment_durations_ = prior.to_dict()  # windows as long as the training annotations' A/H segments
    t0 = time.perf_counter()
    det.fit(sub.tables, sub.labels)
    fit_s = time.perf_counter() - t0
    fit_timings = [a.timings for a in det.__dict__.get("_memo", {}).values() if a.timings]
    t0 = time.perf_counter()
    answers = [a for t in te.tables for _, a in det.answers(t)]
    dt = time.perf_counter() - t0
    computed = [a.timings for a in answers if a.timings]
    row = dict(_rounded(score(det, te, float(det.threshold_), prior)), threshold=round(float(det.threshold_), 3),
               train_seconds=round(fit_s, 1), threshold_from=sub.describe(),
               window_s=round(det.effective_window_s(), 3))
    all_timings = fit_timings + computed
    row["cost"] = dict(_cost(all_timings), test_windows=len(answers), test_minutes=round(minutes, 3),
                       seconds_per_minute_of_video=(round(dt / max(minutes, 1e-9), 1)
                                                    if len(computed) == len(answers) else None),
                       named_cues_per_window=round(sum(len(a.cues) for a in answers) / max(len(answers), 1), 2))
    out["models"]["llm"] = row
    return out


def _rounded(d):
    if isinstance(d, dict):
        return {k: _rounded(v) for k, v in d.items()}
    if isinstance(d, float):
        return round(d, 4)
    return d


def demo_markdown(demo: dict, model: str) -> str:
    """The demo-corpus table: one row per model on the test split."""
    f = lambda v: "n/a" if not isinstance(v, (int, float)) or v != v else f"{v:.3f}"  # noqa: E731
    lines = ["| model | threshold from | frame AVGF1 | frame AP | video macro-F1 | segment F1 (learnt) | train s |",
             "|---|---|---|---|---|---|---|"]
    for kind, r in demo["models"].items():
        name = f"llm ({model}, zero-shot)" if kind == "llm" else kind
        lines.append(f"| {name} | {r['threshold_from']} (thr {r['threshold']:.2f}) | {f(r['frame_avgf1'])} | "
                     f"{f(r['frame_ap'])} | {f(r['video_macro_f1'])} | {f(r['segments_learnt']['segment_f1'])} | "
                     f"{r['train_seconds']:.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", default=None, help="write the results here")
    ap.add_argument("--model", default="qwen2.5-coder-1.5b", help="qwen2.5-coder-1.5b or smollm2-135m")
    ap.add_argument("--annomi", action="store_true", help="run the AnnoMI utterance and session tasks")
    ap.add_argument("--utterances", type=int, default=30, help="balanced sample of test client utterances")
    ap.add_argument("--sessions", type=int, default=10, help="balanced sample of test sessions")
    ap.add_argument("--session-words", type=int, default=700, help="client words shown per session prompt")
    ap.add_argument("--test-share", type=float, default=0.2, help="share of AnnoMI conversations held out")
    ap.add_argument("--demo-root", default=None, help="an extracted `ahcue demo-corpus` root (system test)")
    ap.add_argument("--train-videos", type=int, default=2,
                    help="--demo-root: training videos the LLM's threshold is tuned on (alternately A/H and not)")
    ap.add_argument("--demo-models", default="conflict,xgboost,fusion",
                    help="--demo-root: trained models scored beside the LLM on the same test split")
    ap.add_argument("--sample", action="store_true", help="cost per minute of video on the bundled sample clip")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    from leveltwo.llm import model_identity, require_llm

    require_llm()
    res = {"model": model_identity(args.model), "machine": platform.processor() or platform.machine(),
           "threads": int(os.environ.get("AHCUE_THREADS", 2)), "load_average_start": os.getloadavg()}
    if args.sample:
        res["sample"] = sample_task(args.model, args.seed)
        print(json.dumps(res["sample"]), flush=True)
    if args.annomi:
        d, test = annomi_split(args.seed, args.test_share)
        res["annomi_split"] = (f"own conversation-grouped split: {len(test)} of {d['conv'].nunique()} conversations "
                               f"(by video_url) held out, seed {args.seed}")
        res["utterances"] = utterance_task(d, test, args.utterances, args.seed, args.model)
        print(json.dumps(res["utterances"]), flush=True)
        res["sessions"] = session_task(d, test, args.sessions, args.seed, args.model, args.session_words)
        print(json.dumps(res["sessions"]), flush=True)
        heads = json.loads((REPO / "levelone" / "data" / "text_heads.json").read_text())["metrics"]["stance"]
        res["trained_heads_out_of_fold"] = {
            "macro_f1_mean": heads.get("macro_f1_mean"),
            "conversation_level_auc": heads.get("talk_ambivalence", {}).get("conversation_level", {}).get("auc"),
            "source": "levelone/data/text_heads.json (5-fold CV grouped by transcript_id, all AnnoMI)"}
    if args.demo_root:
        res["demo"] = demo_task(args.demo_root, args.model, args.seed, args.train_videos,
                                tuple(k for k in args.demo_models.split(",") if k))
        print(demo_markdown(res["demo"], args.model), flush=True)
    res["load_average_end"] = os.getloadavg()
    text = json.dumps(res, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
