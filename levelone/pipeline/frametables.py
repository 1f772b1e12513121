"""Stage two on disk: per participant a baseline over all their cached signals -> FrameTable files.

A recording declared neutral (``VideoJob.neutral``, ``--neutral``) joins its participant's baseline
and becomes the reference of their facial affect (:func:`levelone.face.cues.declare_neutral`); it
gets no FrameTable of its own.

Each FrameTable's ``meta.input_hash`` (:func:`levelone.pipeline.versions.assembly_key`) hashes the
raw-signal keys of all the participant's videos and the stage-2 versions: an output with the same
hash is up to date and kept; another one is replaced only with ``overwrite``.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Mapping

import pandas as pd
import pyarrow.parquet as pq

from codebook.errors import InputError
from levelone.frametable import META_KEY, FrameMeta
from levelone.pipeline.assemble import CueFunction, fit_baselines, union_columns, write_assembled
from levelone.pipeline.cache import Cache
from levelone.pipeline.inputs import VideoJob
from levelone.pipeline.memory import bound_allocators, trim
from levelone.pipeline.results import ExtractResult, Failure
from levelone.pipeline.versions import assembly_key, cue_versions


def stored_hash(path: Path) -> str | None:
    """``input_hash`` of an existing FrameTable, or None if it is not a readable one."""
    try:
        raw = (pq.read_schema(path).metadata or {}).get(META_KEY)
        return json.loads(raw).get("input_hash") if raw else None
    except Exception:  # noqa: BLE001 - any unreadable file is "not ours": refuse or replace it
        return None


def _declare_neutrals(baselines: dict, pid: str, neutrals: list[VideoJob], frames: Mapping[str, pd.DataFrame],
                      result: ExtractResult) -> bool:
    """Make the participant's declared neutral recordings their facial-affect reference; False
    (and a failure recorded) when one cannot serve, so nothing is assembled against a wrong one."""
    from levelone.face.cues import declare_neutral

    found = [frames[j.video_id] for j in neutrals if j.video_id in frames]
    if not found:
        return not neutrals
    try:
        baselines[pid] = declare_neutral(baselines[pid], pd.concat(found, ignore_index=True))
    except ValueError as err:
        result.failures.append(Failure(str(neutrals[0].path), str(err)))
        return False
    return True


def run_stage2(jobs: list[VideoJob], keys: dict[str, str], targets: dict[str, Path], cache: Cache,
               overwrite: bool, cue_functions: Mapping[str, CueFunction] | None,
               result: ExtractResult, source_of: Callable[[VideoJob], str],
               raw_versions: Mapping[str, str]) -> None:
    """Per participant: fit the baseline over all their cached signals, assemble and write tables.

    Each table is written in pieces (:func:`levelone.pipeline.assemble.write_assembled`), so a long
    recording's memory here is its raw signals and one modality's cues at a time, not the table.
    """
    bound_allocators()
    trim()  # what stage one freed goes back before the signals are loaded
    versions = cue_versions()
    by_pid: dict[str, list[VideoJob]] = {}
    for job in jobs:
        by_pid.setdefault(job.participant_id, []).append(job)
    for pid, pjobs in by_pid.items():
        raw_keys = {j.video_id: keys[j.video_id] for j in pjobs}
        akeys = {j.video_id: assembly_key(j.video_id, raw_keys, versions) for j in pjobs}
        pending = []
        for j in pjobs:
            if j.neutral:
                continue  # baseline only
            target = targets[j.video_id]
            if target.exists():
                stored = stored_hash(target)
                if stored == akeys[j.video_id]:
                    result.up_to_date += 1
                    result.tables[j.video_id] = target
                    continue
                if not overwrite:
                    result.failures.append(Failure(str(target), "already exists (use --force to overwrite)"))
                    continue
            pending.append(j)
        if not pending:
            continue
        loaded: dict[str, tuple[pd.DataFrame, dict]] = {}
        for j in pjobs:
            entry = cache.load_raw(j.video_id, keys[j.video_id])
            if entry is None:  # vanished or damaged since stage 1 (another run, a full disk)
                result.failures.append(Failure(str(j.path), "cached signals unreadable; run again"))
                continue
            loaded[j.video_id] = entry
        cols = union_columns(d for d, _ in loaded.values())
        frames = {vid: d if list(d.columns) == cols else d.reindex(columns=cols)
                  for vid, (d, _) in loaded.items()}
        baselines = fit_baselines(frames, {j.video_id: j.participant_id for j in pjobs})
        if not _declare_neutrals(baselines, pid, [j for j in pjobs if j.neutral], frames, result):
            continue
        for j in pending:
            if j.video_id not in loaded:
                continue
            raw_meta = loaded[j.video_id][1]
            meta = FrameMeta(video_id=j.video_id, participant_id=pid, fps=float(raw_meta["fps"]),
                             n_frames=int(raw_meta["n_frames"]), source=source_of(j),
                             input_hash=akeys[j.video_id],
                             versions={**raw_versions, **versions},
                             transcript=dict(raw_meta.get("transcript") or {}),
                             people=dict(raw_meta.get("people") or {}))
            try:
                with cache.lock(akeys[j.video_id]):  # a concurrent run may write the same table
                    cache.clear_stale_temps(targets[j.video_id])
                    write_assembled(frames[j.video_id], baselines[pid], meta, targets[j.video_id], cue_functions)
            except InputError as err:
                result.failures.append(Failure(str(j.path), err.problem))
                continue
            result.assembled += 1
            result.tables[j.video_id] = targets[j.video_id]
