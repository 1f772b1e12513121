"""`ahcue train-text`: retrain and evaluate the text heads on the shared public data.

One command reproduces the shipped models and every number in their model card: it encodes
VADER's ground truth and AnnoMI once, runs the cross-validations described in
:mod:`levelone.training.text` (the stance model's folds are fine-tuned one after another, each
cached in ``--cache-dir`` when given), fits the models on all data and writes
``text_heads.safetensors`` (valence and the frozen-vector stance heads; with ``--stance fine-tuned``
the tuned stance layer + head go to ``text_stance.safetensors``) and ``text_heads.json`` into
``--output`` (or over the shipped files with ``--update-shipped``).
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

NAME = "train-text"
HELP = "train the text valence and stance models on the shared public data"
EXAMPLES = """examples:
  ahcue train-text -o text-heads --cache-dir /tmp/tt     reproduce the heads, the stance model and the card
  ahcue train-text -o text-heads --keep-valence           retrain the stance heads only
  ahcue train-text -o ft --keep-valence --stance fine-tuned   the fine-tuned stance model (not shipped)
  ahcue train-text --encoder use -o ml --cache-dir /tmp/tt  the multilingual heads (non-English speech)"""


def default_shared_data() -> Path:
    env = os.environ.get("AHCUE_SHARED_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2].parent / "shared" / "data"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", default="text-heads", metavar="DIR",
                        help="folder for text_heads.safetensors and text_heads.json (default: ./text-heads)")
    parser.add_argument("--update-shipped", action="store_true",
                        help="write over the heads shipped in levelone/data instead of --output")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the cross-validation folds (default 0)")
    parser.add_argument("--data", default=None, metavar="DIR",
                        help="the shared data folder (default: $AHCUE_SHARED_DATA or ../shared/data)")
    parser.add_argument("--batch-size", type=int, default=64, help="encoder batch size")
    parser.add_argument("--force", action="store_true", help="overwrite existing outputs in --output")
    parser.add_argument("--cache-dir", default=None, metavar="DIR",
                        help="keep/reuse sentence vectors, encoder states and finished stance folds in DIR "
                             "(e.g. a temp dir) across runs; default: in memory only")
    parser.add_argument("--keep-valence", action="store_true",
                        help="keep the shipped valence head and its card section (retrain the stance only)")
    parser.add_argument("--stance", choices=("frozen", "fine-tuned"), default="frozen",
                        help="frozen: logistic heads on frozen sentence vectors and readable cue counts, every "
                             "ablation row on conversation-grouped folds (shipped); fine-tuned: the encoder's top "
                             "layer tuned with dialogue context "
                             "(writes text_stance.safetensors too)")
    parser.add_argument("--encoder", choices=("minilm", "use"), default="minilm",
                        help="minilm: the English heads (text_heads.*); use: the heads on the multilingual "
                             "Universal Sentence Encoder, trained on the same English data and folds, that level "
                             "one uses for non-English speech (text_heads_multilingual.*; needs the "
                             "'multilingual' extra)")


def run(args: argparse.Namespace) -> int:
    import sys

    from codebook.atomic import check_writable
    from codebook.errors import InputError
    from levelone.language.textaffect import DATA_DIR
    from levelone.training.text import output_files, train, write_outputs

    data = Path(args.data) if args.data else default_shared_data()
    if not data.is_dir():
        raise InputError(data, "shared data folder not found (use --data or AHCUE_SHARED_DATA)")
    out = DATA_DIR if args.update_shipped else Path(args.output)
    force = args.force or args.update_shipped
    if args.encoder == "use":
        return _run_multilingual(args, data, out, force)
    for name in output_files(args.stance == "fine-tuned"):  # fail before minutes of encoding
        check_writable(out / name, force)
    heads, stance, card = train(data, seed=args.seed, batch_size=args.batch_size,
                                log=lambda m: print(m, file=sys.stderr, flush=True),
                                cache_dir=Path(args.cache_dir) if args.cache_dir else None,
                                keep_valence=args.keep_valence, stance_model=args.stance)
    if args.update_shipped:
        import json

        from levelone.language.textaffect import CARD_FILE

        old = json.loads(CARD_FILE.read_text())["metrics"]["stance"]
        shipped, got = old["macro_f1_mean"], card["metrics"]["stance"]["macro_f1_mean"]
        same_folds = old.get("split") == card["metrics"]["stance"]["split"]
        if same_folds and got < shipped:  # never replace a stance model by one that measures worse on the same folds
            raise InputError(CARD_FILE, f"stance macro-F1 {got} is below the shipped {shipped}; "
                                        "not replacing it (write to --output to keep the result)")
    paths = write_outputs(heads, stance, card, out, force=force)
    st = card["metrics"]["stance"]
    va = card["metrics"]["valence"]
    print(f"valence spearman {va['spearman_mean']} (VADER {va['vader_spearman_mean']}); "
          f"stance macro-F1 {st['macro_f1_mean']} shipped ({'with' if st['context_helps'] else 'without'} context), "
          f"{st['macro_f1_mean_utterance_only']} on the utterance alone")
    print("wrote " + ", ".join(map(str, paths)))
    return 0


def _run_multilingual(args: argparse.Namespace, data: Path, out: Path, force: bool) -> int:
    """``--encoder use``: the multilingual heads and their card."""
    import sys

    from codebook.atomic import check_writable
    from codebook.errors import InputError
    from levelone.language.multilingual import MissingMultilingual, use_version
    from levelone.training.text import MULTILINGUAL_FILES, train_multilingual, write_multilingual

    if args.keep_valence or args.stance != "frozen":
        raise InputError(None, "--encoder use trains both heads on frozen vectors: drop --keep-valence/--stance")
    try:
        use_version()
    except MissingMultilingual as err:
        raise InputError(None, str(err)) from err
    for name in MULTILINGUAL_FILES:  # fail before minutes of encoding
        check_writable(out / name, force)
    heads, card = train_multilingual(data, seed=args.seed, batch_size=args.batch_size,
                                     log=lambda m: print(m, file=sys.stderr, flush=True),
                                     cache_dir=Path(args.cache_dir) if args.cache_dir else None)
    paths = write_multilingual(heads, card, out, force=force)
    va, st = card["metrics"]["valence"], card["metrics"]["stance"]
    print(f"multilingual heads (English data): valence spearman {va['spearman_mean']} "
          f"(VADER {va['vader_spearman_mean']}); stance macro-F1 {st['macro_f1_mean']}, sessions AUC "
          f"{st['session_auc']}")
    print("wrote " + ", ".join(map(str, paths)))
    return 0
