"""`ahcue train`: fit the conflict detector (or the xgboost baseline, the fusion comparator, or the zero-shot
LLM comparator) on a BAH root's train split, selecting on val; writes a model directory (safetensors/JSON +
card with val metrics; for ``--kind llm`` no weights: prompt version, model name, tuned threshold)."""
from __future__ import annotations

import argparse

NAME = "train"
HELP = "train a detector on a BAH root: --kind conflict (default), xgboost, fusion or llm"
EXAMPLES = """examples:
  ahcue train /data/BAH --kind conflict -o models/conflict --constraint-weight 0.1
  ahcue train /data/BAH --kind xgboost -o models/xgb
  ahcue train /data/BAH --kind fusion -o models/fusion      the comparator (per-modality encoders)
  ahcue train /data/BAH --kind llm -o models/llm   (needs pip install 'ahcue[llm]')"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset_root", metavar="DATASET_ROOT",
                        help="BAH root (with split/, Videos/, video_annotation_transcript.yaml)")
    parser.add_argument("--kind", choices=("conflict", "xgboost", "fusion", "llm"), default="conflict",
                        help="conflict (the explained detector, default), xgboost (baseline), fusion (the "
                             "papers' multimodal comparator; approximate explanations) or llm (zero-shot language "
                             "model over the words and cues; model-stated explanations, threshold tuned on train)")
    parser.add_argument("--llm-model", default="qwen2.5-coder-1.5b", metavar="NAME",
                        help="language model for --kind llm: qwen2.5-coder-1.5b (default) or smollm2-135m (tests)")
    parser.add_argument("--llm-window-s", type=float, default=None, metavar="SECONDS",
                        help="--kind llm: seconds of video per prompt (default: the training annotations' mean A/H "
                             "segment duration); longer windows mean fewer prompts")
    parser.add_argument("-o", "--output", required=True, metavar="DIR", help="model folder to write")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                        help="where to train (default: auto, CUDA when present)")
    parser.add_argument("--epochs", type=int, default=30,
                        help="maximum epochs (conflict, fusion; early stopping on val AP)")
    parser.add_argument("--constraint-weight", type=float, default=0.1,
                        help="weight of the codebook constraint; the weight-0 ablation is always trained too")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--workers", type=int, default=1, metavar="N", help="level-one extraction processes")
    parser.add_argument("--cache-dir", default=None, metavar="DIR",
                        help="level-one cache (default: inside the dataset root)")
    parser.add_argument("--no-asr", action="store_true",
                        help="never transcribe; videos without transcripts lack language")
    parser.add_argument("--force", action="store_true", help="overwrite an existing model directory")
    parser.add_argument("--quiet", action="store_true", help="no progress display and no summary")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from codebook.atomic import check_writable
    from codebook.errors import InputError
    from leveltwo.dataset import extract_tables, load_split
    from leveltwo.train import train_conflict, train_xgboost
    from reports.terminal import interactive

    if args.epochs < 1:
        raise InputError(None, f"--epochs must be at least 1, got {args.epochs}")
    if args.constraint_weight < 0:
        raise InputError(None, "--constraint-weight must be >= 0")
    if args.kind == "llm":
        from leveltwo.llm import MODELS, require_llm

        require_llm()  # before level one runs: say what to install at once
        if args.llm_model not in MODELS:
            raise InputError(None, f"--llm-model must be one of {', '.join(MODELS)}")
        if args.llm_window_s is not None and not args.llm_window_s > 0:
            raise InputError(None, f"--llm-window-s must be > 0 seconds, got {args.llm_window_s}")
    out = Path(args.output)
    check_writable(out / "card.json", args.force)
    say = (lambda s: None) if args.quiet else (lambda s: print(s, flush=True))
    tables = extract_tables(args.dataset_root, cache_dir=args.cache_dir, workers=args.workers,
                            asr=not args.no_asr, progress=not args.quiet and interactive())
    train, val = load_split(args.dataset_root, "train", tables), load_split(args.dataset_root, "val", tables)
    say(train.describe())
    say(val.describe())
    if args.kind == "conflict":
        model = train_conflict(train, val, epochs=args.epochs, constraint_weight=args.constraint_weight,
                               seed=args.seed, device=args.device, progress=say)
    elif args.kind == "fusion":
        from leveltwo.fusion import train_fusion

        model = train_fusion(train, val, seed=args.seed, device=args.device, epochs=args.epochs, progress=say)
    elif args.kind == "llm":
        from leveltwo.llm import train_llm

        model = train_llm(train, val, model=args.llm_model, seed=args.seed, device=args.device, progress=say,
                          window_s=args.llm_window_s)
    else:
        model = train_xgboost(train, val, seed=args.seed, device=args.device, progress=say)
    from leveltwo.segments import SegmentPrior

    prior = SegmentPrior.from_annotations(train.annotations)
    model.segment_durations_ = prior.to_dict()
    say(f"A/H segment durations ({prior.source}): mean {prior.mean_s:.2f} s, sd {prior.sd_s:.2f} s -> "
        f"minimum {prior.decoding()['min_duration_s']:.2f} s")
    model.save(out, force=args.force)
    val_m = model.metrics_.get("val")
    if val_m:
        for name in ("fixed_0.5", "tuned"):
            f = val_m[name]["frame"]
            say(f"val [{name} thr {f['threshold']:.2f}] frame AVGF1 {f['avgf1']:.4f}  AP {f['ap']:.4f}")
    abl = model.metrics_.get("ablation_constraint_0")
    if abl and abl.get("val"):
        f = abl["val"]["fixed_0.5"]["frame"]
        say(f"val ablation (constraint 0) frame AVGF1 {f['avgf1']:.4f}  AP {f['ap']:.4f}")
    say(f"wrote {out}")
    return 0
