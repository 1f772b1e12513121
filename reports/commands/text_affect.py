"""`ahcue text-affect`: score any table of texts with the text valence and stance heads.

Keeps the input columns and adds ``valence, p_change, p_neutral, p_sustain, stance, confidence``
in that order, every number rounded to ``DECIMALS`` places whichever scorer made it (see
:mod:`levelone.language.textaffect` and :data:`COLUMN_HELP`). With ``--speaker-column`` the rows
are a conversation in order (one per ``--conversation-column`` value, if given) and each row's
stance sees the turns before it; ``--self`` names the speaker whose talk is scored (other rows are
context).
"""
from __future__ import annotations

import argparse
from pathlib import Path

NAME = "text-affect"
HELP = "score a table of texts with the text valence and stance models"
OUTPUT_COLUMNS = ("valence", "p_change", "p_neutral", "p_sustain", "stance", "confidence")  # README's order
DECIMALS = 4  # of every score written (VADER's compound score has 4: the model's numbers match it)
STANCES = ("change", "neutral", "sustain")
EXAMPLES = """output columns (added after the input's own):
  valence     -1 (negative) .. +1 (positive); empty for an empty text
  p_change    probability the text argues for change (motivational-interviewing "change talk")
  p_neutral   probability it is neither
  p_sustain   probability it argues for the status quo ("sustain talk")
  stance      the most probable of change / neutral / sustain; empty when confidence is 0
  confidence  0..1, how much to trust this row's scores: the product of how much text there is
              (6 words or more count fully), how English it is, and how decided the stance
              probabilities are (1 - their normalised entropy); 0 for an empty text
  With --lexicon only valence and confidence are filled (VADER's lexicon; no stance).

examples:
  ahcue text-affect turns.csv --column utterance -o scored.csv
  ahcue text-affect turns.csv --column utterance --context-column question -o scored.csv"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("table", metavar="FILE.csv", help="a CSV table with one text per row")
    parser.add_argument("--column", required=True, metavar="COL", help="the column holding the texts")
    parser.add_argument("--context-column", default=None, metavar="COL",
                        help="optional column with what was said just before (e.g. the question)")
    parser.add_argument("--speaker-column", default=None,
                        help="optional column naming who speaks: rows become a conversation, context for each other")
    parser.add_argument("--self", dest="self_speaker", default=None, metavar="SPEAKER",
                        help="with --speaker-column: the speaker whose talk is scored (default: every row is)")
    parser.add_argument("--conversation-column", default=None,
                        help="with --speaker-column: column separating conversations (default: one conversation)")
    parser.add_argument("-o", "--output", required=True, metavar="OUT.csv", help="output CSV")
    parser.add_argument("--force", action="store_true", help="overwrite OUT.csv if it exists")
    parser.add_argument("--lexicon", action="store_true",
                        help="use VADER's lexicon valence instead (for comparison; no stance)")
    parser.add_argument("--batch-size", type=int, default=32, metavar="N",
                        help="texts encoded at once (default 32; lower it if memory is short)")
    parser.add_argument("--heads", default=None, metavar="FILE",
                        help="a text_heads.safetensors other than the shipped one")


def read_table(path: Path, column: str, context_column: str | None, *more: str | None):
    import pandas as pd

    from codebook.errors import InputError

    if not path.is_file():
        raise InputError(path, "file not found")
    try:
        table = pd.read_csv(path, keep_default_na=False, dtype=str)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as err:
        raise InputError(path, f"cannot read as CSV ({str(err).splitlines()[0] if str(err) else err})") from err
    for col in (column, context_column, *more):
        if col is not None and col not in table.columns:
            raise InputError(path, f"no column {col!r} (columns: {', '.join(map(str, table.columns))})")
    clash = [c for c in OUTPUT_COLUMNS if c in table.columns]
    if clash:
        raise InputError(path, f"already has output column(s) {', '.join(clash)}")
    return table


def stance_labels(scores) -> list[str]:
    """The most probable stance per row; '' where there is no stance (no evidence, or --lexicon)."""
    import numpy as np

    p = scores[[f"p_{s}" for s in STANCES]].to_numpy(np.float64)
    ok = np.isfinite(p).all(axis=1) & (scores["confidence"].to_numpy(np.float64) > 0)
    best = np.argmax(np.nan_to_num(p, nan=-1.0), axis=1)
    return [STANCES[b] if good else "" for b, good in zip(best, ok)]


def conversation(table, args: argparse.Namespace) -> list:
    """The turns before each row, per conversation, in file order (for ``TextAffect.score(turns=)``)."""
    from levelone.language.textaffect import conversation_turns

    speakers = table[args.speaker_column].astype(str)
    is_self = (speakers == args.self_speaker) if args.self_speaker is not None else speakers == speakers
    conv = table[args.conversation_column].tolist() if args.conversation_column else [0] * len(table)
    turns: list = [None] * len(table)
    for _, idx in table.groupby(conv, sort=False).indices.items():
        for i, t in zip(idx, conversation_turns(table[args.column].iloc[idx].tolist(), is_self.iloc[idx].tolist())):
            turns[i] = t
    return turns


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from codebook.atomic import atomic_path, check_writable

    out = check_writable(args.output, args.force)
    table = read_table(Path(args.table), args.column, args.context_column, args.speaker_column,
                       args.conversation_column)
    if args.lexicon:
        from levelone.language.textaffect import LexiconAffect

        scorer = LexiconAffect()
    else:
        from levelone.language.textaffect import TextAffect

        scorer = TextAffect(batch_size=args.batch_size, heads=args.heads)
    contexts = table[args.context_column].tolist() if args.context_column else None
    turns = conversation(table, args) if args.speaker_column else None
    if turns is not None and not args.lexicon:
        scores = scorer.score(table[args.column].tolist(), turns=turns)
    else:
        scores = scorer.score(table[args.column].tolist(), contexts)
    result = table.copy()
    labels = stance_labels(scores)
    for col in OUTPUT_COLUMNS:
        result[col] = labels if col == "stance" else scores[col].to_numpy(np.float64).round(DECIMALS)
    with atomic_path(out) as tmp:
        result.to_csv(tmp, index=False)
    print(f"{out}: {len(result)} rows scored")
    return 0
