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
- ``--demo-root ROOT``: a generated, extracted demo corpus (``ahcue demo-corpus``; a system test,
  not accuracy on people): the LLM comparator's frame AVGF1/AP and video macro-F1 on the test
  split with the threshold tuned on train, beside the ConflictDetector and xgboost trained on it.

Cost: seconds per utterance and per minute of video, prompt tokens, and the share of the model's
compute time spent on the prompt (prefill) vs generating the answer, from llama.cpp's timings
(answers already in the answer cache cost nothing and are left out of the cost figures).

    nice -n 10 python benchmarks/llm.py --annomi --utterances 30 --sessions 10 --json llm.json
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


def demo_task(root: str, model: str, seed: int) -> dict:
    """System test on an extracted demo corpus: LLM vs conflict vs xgboost on the test split."""
    from leveltwo.dataset import extract_tables, load_split
    from leveltwo.llm import train_llm
    from leveltwo.metrics import report
    from leveltwo.train import train_conflict, train_xgboost

    tables = extract_tables(root, asr=False, progress=False)
    tr, va, te = (load_split(root, s, tables) for s in ("train", "val", "test"))
    out = {"train": tr.describe(), "test": te.describe()}
    minutes = sum(t.meta.duration_s for t in te.tables) / 60
    quiet = lambda s: None  # noqa: E731
    t0 = time.perf_counter()
    llm = train_llm(tr, va, model=model, seed=seed, progress=quiet)
    out["llm_fit_seconds"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    answers = []
    probs = []
    for t in te.tables:
        pairs = llm.answers(t)
        answers += [a for _, a in pairs]
        probs.append(llm.predict_proba(t))
    dt = time.perf_counter() - t0
    out["llm"] = _scores(report(te.labels, probs, te.video_labels, llm.threshold_), llm.threshold_)
    computed = [a.timings for a in answers if a.timings]
    out["llm"]["cost"] = dict(_cost(computed), windows=len(answers), test_minutes=round(minutes, 3),
                              seconds_per_minute_of_video=round(dt / max(minutes, 1e-9), 1) if computed else None)
    for name, fn in (("conflict", lambda: train_conflict(tr, va, seed=seed, device="cpu", progress=quiet)),
                     ("xgboost", lambda: train_xgboost(tr, va, seed=seed, device="cpu", progress=quiet))):
        m = fn()
        probs = [m.predict_proba(t) for t in te.tables]
        out[name] = _scores(report(te.labels, probs, te.video_labels, m.threshold_), m.threshold_)
    return out


def _scores(rep: dict, thr: float) -> dict:
    part = rep["tuned"] if "tuned" in rep else rep["fixed_0.5"]
    f, v = part["frame"], part["video"].get("sliding_max_24", {})
    return {"threshold": round(float(thr), 3), "frame_avgf1": round(f["avgf1"], 4), "frame_ap": round(f["ap"], 4),
            "video_macro_f1": round(v["avgf1"], 4) if "avgf1" in v else v.get("error")}


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
        res["demo"] = demo_task(args.demo_root, args.model, args.seed)
        print(json.dumps(res["demo"]), flush=True)
    res["load_average_end"] = os.getloadavg()
    text = json.dumps(res, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
