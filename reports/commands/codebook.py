"""`ahcue codebook`: browse the cue vocabulary and compute cue statistics of a BAH root.

    ahcue codebook list [--modality M] [--json]
    ahcue codebook show ID            (a cue id, an annotator's spelling, or a pair such as FL)
    ahcue codebook stats DATASET_ROOT [--split S] [-o stats.json] [--force] [--json]
"""
from __future__ import annotations

import argparse
import difflib
import json
import sys

from codebook.vocabulary import MODALITIES, PAIRS

NAME = "codebook"
HELP = "the cue vocabulary (list, show) and cue statistics (stats)"
EXAMPLES = """examples:
  ahcue codebook list --modality body
  ahcue codebook show "Filler sound"        a cue by an annotator's spelling
  ahcue codebook show FL                    an inconsistency pair
  ahcue codebook stats /data/BAH --split train -o stats.json"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("list", help="list the codebook cues")
    p.add_argument("--modality", choices=MODALITIES, help="only the cues of one modality")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = sub.add_parser("show", help="one cue or inconsistency pair in full")
    p.add_argument("id", metavar="ID", help="cue id (audio.pause), annotator spelling ('Filler sound') or pair (FL)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = sub.add_parser("stats", help="cue statistics of a BAH root's annotations, beside the published ones")
    p.add_argument("root", metavar="DATASET_ROOT", help="a BAH root (the folder holding split/ and Videos/)")
    p.add_argument("--split", choices=("train", "val", "test"), help="one split (default: all present)")
    p.add_argument("-o", "--output", help="write the statistics as JSON (a codebook prior for training)")
    p.add_argument("--force", action="store_true", help="overwrite --output if it exists")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    return {"list": _list, "show": _show, "stats": _stats}[args.action](args)


def _list(args: argparse.Namespace) -> int:
    from codebook.vocabulary import load_vocabulary

    vocab = load_vocabulary()
    cues = vocab.by_modality(args.modality) if args.modality else list(vocab.cues)
    if args.json:
        print(json.dumps([_cue_dict(c) for c in cues], indent=2))
        return 0
    width = max(len(c.id) for c in cues)
    print(f"{'id':<{width}}  {'region':<8} {'measured':<8} name")
    for c in cues:
        print(f"{c.id:<{width}}  {c.region:<8} {'yes' if c.measurable else 'no':<8} {c.name}")
    if not args.modality:
        print(f"\n{len(cues)} cues; inconsistency pairs: {' '.join(PAIRS)}")
    return 0


def _cue_dict(cue) -> dict:
    return {"id": cue.id, "modality": cue.modality, "region": cue.region, "name": cue.name,
            "definition": cue.definition, "measurable": cue.measurable, "measurement": cue.measurement,
            "reason": cue.reason, "aliases": list(cue.aliases), "column": cue.column}


def _show(args: argparse.Namespace) -> int:
    from codebook.errors import InputError
    from codebook.vocabulary import load_vocabulary

    vocab = load_vocabulary()
    cue = vocab.resolve(args.id)
    inc = None if cue is not None else vocab.inconsistency(args.id)
    if cue is None and inc is None:
        names = [c.id for c in vocab.cues] + [c.name for c in vocab.cues] + list(PAIRS)
        close = difflib.get_close_matches(args.id, names, n=5, cutoff=0.5)
        close += [c.id for c in vocab.cues if args.id.lower() in c.id and c.id not in close][:5 - len(close)]
        hint = f"; close matches: {', '.join(close)}" if close else "; see `ahcue codebook list`"
        raise InputError(None, f"unknown cue or pair {args.id!r}{hint}")
    if args.json:
        data = _cue_dict(cue) if cue else {"id": inc.id, "modalities": list(inc.modalities),
                                           "name": inc.name, "definition": inc.definition}
        print(json.dumps(data, indent=2))
        return 0
    if cue is not None:
        print(f"{cue.id}  ({cue.name}; {cue.modality}, {cue.region} region)")
        print(f"  definition:  {cue.definition}")
        if cue.measurable:
            print(f"  measured by: {cue.measurement}")
        else:
            print(f"  not measured automatically: {cue.reason}")
        if cue.aliases:
            print(f"  also written: {', '.join(cue.aliases)}")
        print(f"  FrameTable column: {cue.column}")
    else:
        print(f"{inc.id}  ({inc.name}: {' and '.join(inc.modalities)})")
        print(f"  definition:  {inc.definition}")
    return 0


def _pct(x: float | None) -> str:
    return "   -  " if x is None else f"{100 * x:5.1f}%"


def _num(x: float | None, fmt: str = ".2f") -> str:
    return "-" if x is None else format(x, fmt)


def _stats(args: argparse.Namespace) -> int:
    from codebook import atomic
    from codebook.bah import BAHDataset
    from codebook.stats import CueStatistics

    if args.output:
        atomic.check_writable(args.output, args.force)  # fail before reading a large dataset
    ds = BAHDataset(args.root)
    split = args.split
    stats = CueStatistics.from_annotations(
        ds.annotations(split), source=f"{ds.root} ({'split ' + split if split else 'all splits'})")
    if args.output:
        stats.save(args.output, force=args.force)
    if args.json:
        print(stats.to_json(), end="")
        return 0
    pub = CueStatistics.published()
    out = sys.stdout
    out.write(f"Cue statistics of {stats.source}\n")
    out.write(f"  A/H segments {stats.n_segments}, with cues {stats.n_segments_with_cues}, "
              f"with an inconsistency {stats.n_with_inconsistency}"
              f"   (BAH: {pub.n_segments}, {pub.n_segments_with_cues}, {pub.n_with_inconsistency})\n\n")
    out.write(f"  {'modality':<10} {'share':>7} {'BAH':>7}   most frequent cue\n")
    for m in MODALITIES:
        out.write(f"  {m:<10} {_pct(stats.modality_shares.get(m)):>7} {_pct(pub.modality_shares.get(m)):>7}"
                  f"   {stats.top_cues.get(m, '-')}  (BAH: {pub.top_cues.get(m, '-')})\n")
    out.write(f"  {'all four':<10} {_pct(stats.all_four_share):>7} {_pct(pub.all_four_share):>7}\n\n")
    out.write(f"  {'pair':<10} {'share':>7} {'BAH':>7}\n")
    for p in PAIRS:
        out.write(f"  {p:<10} {_pct(stats.pair_shares.get(p)):>7} {_pct(pub.pair_shares.get(p)):>7}\n")
    d, f = stats.duration_s, stats.duration_frames
    out.write(f"\n  segment duration: mean {_num(d.get('mean'))} s (sd {_num(d.get('sd'))}, "
              f"min {_num(d.get('min'))}, max {_num(d.get('max'))}); "
              f"frames mean {_num(f.get('mean'), '.1f')} (sd {_num(f.get('sd'), '.1f')})"
              f"   (BAH: 4.29 s, 103.9 frames, sd 58.7)\n")
    if args.output:
        out.write(f"\nwrote {args.output}\n")
    return 0
