"""`extract`: input resolution, per-participant baselines, assembly to a complete FrameTable, the
`ahcue extract` command, and end to end on a real GRID clip with the real extractors."""
from __future__ import annotations

import argparse
import json
import shutil

import numpy as np
import pandas as pd
import pytest

from codebook.errors import InputError
from levelone.pipeline.assemble import align_rows, assemble, fit_baselines, missing_sources
from levelone.baseline import Baseline, squash
from levelone.frametable import FrameMeta, read, required_columns, validate
from levelone.pipeline.extract import RawSignals, VideoJob, extract, plan, run

CLIP = "id2_vcd_swwp2s.mpg"


# ------------------------------------------------------------------------- input resolution
def test_plan_single_video_with_sidecar_transcript(shared_data, tmp_path):
    video = tmp_path / "My Clip.mpg"
    shutil.copy(shared_data / "video" / "grid" / CLIP, video)
    p = plan(video)
    assert p.kind == "video" and p.jobs == [VideoJob("My Clip", "My Clip", video, None)]
    (tmp_path / "My Clip.srt").write_text("1\n00:00:00,500 --> 00:00:01,000\nbin blue\n")
    assert plan(video).jobs[0].transcript == tmp_path / "My Clip.srt"
    explicit = tmp_path / "other.vtt"
    explicit.write_text("WEBVTT\n")
    assert plan(video, explicit).jobs[0].transcript == explicit


def test_sidecar_json_that_is_not_a_transcript_is_passed_over_and_said(shared_data, tmp_path, capsys):
    """`ahcue predict x.mp4 --json > x.json`: the shell creates x.json (empty, then a prediction)."""
    video = tmp_path / "x.mpg"
    shutil.copy(shared_data / "video" / "grid" / CLIP, video)
    side = tmp_path / "x.json"
    side.write_text("")
    assert plan(video).jobs[0].transcript is None
    assert "not reading" in capsys.readouterr().err
    side.write_text('{"ahcue_version": "1", "probability": 0.4, "segments": []}')
    assert plan(video).jobs[0].transcript is None
    assert "an ahcue prediction, not a transcript" in capsys.readouterr().err
    side.write_text('{"segments": [{"start_s": 1.0, "end_s": 2.0, "probability": 0.7}]}')
    assert plan(video).jobs[0].transcript is None
    assert "not a transcript" in capsys.readouterr().err
    side.write_text('[{"word": "bin", "start": 0.5, "end": 0.8}]')
    assert plan(video).jobs[0].transcript == side
    assert f"transcript: {side}" in capsys.readouterr().err


def test_plan_folder_recurses_skips_hidden_and_names_by_relative_path(shared_data, tmp_path):
    grid = shared_data / "video" / "grid"
    (tmp_path / "sub").mkdir()
    (tmp_path / ".ahcue-cache").mkdir()
    shutil.copy(grid / "bbaf2n.mpg", tmp_path / "a.mpg")
    shutil.copy(grid / "brbk7n.mpg", tmp_path / "sub" / "b.MPG")
    shutil.copy(grid / "lbax4n.mpg", tmp_path / ".ahcue-cache" / "c.mpg")
    (tmp_path / "notes.txt").write_text("x")
    p = plan(tmp_path)
    assert p.kind == "folder"
    assert [(j.video_id, j.participant_id) for j in p.jobs] == [("a", "a"), ("sub/b", "b")]


def test_plan_bah_root_groups_by_participant(shared_data, tmp_path):
    from test_faults import make_bah
    root = make_bah(tmp_path, shared_data / "video" / "grid", {"P7": ["bbaf2n", "brbk7n"], "P9": ["lbax4n"]})
    p = plan(root)
    assert p.kind == "bah"
    assert [j.participant_id for j in p.jobs] == ["P7", "P7", "P9"]
    assert p.jobs[1].video_id == "P7_Question_2_2024-10-02 16-19-36_Video"  # spaces kept in the id
    assert all(j.path.is_file() for j in p.jobs)


@pytest.mark.parametrize("make,problem", [
    (lambda d: d / "missing.mp4", "not found"),
    (lambda d: (d / "a.txt").write_text("x") and d / "a.txt", "not a video ahcue can decode"),
    (lambda d: d, "no videos found"),
])
def test_plan_rejects_bad_inputs_in_one_line(tmp_path, make, problem):
    with pytest.raises(InputError) as err:
        plan(make(tmp_path))
    assert problem in str(err.value) and "\n" not in str(err.value)


def test_transcript_option_needs_a_single_video(shared_data, tmp_path):
    shutil.copy(shared_data / "video" / "grid" / CLIP, tmp_path / CLIP)
    tr = tmp_path / "t.srt"
    tr.write_text("")
    with pytest.raises(InputError, match="single video"):
        plan(tmp_path, tr)
    with pytest.raises(InputError, match="transcript file not found"):
        plan(tmp_path / CLIP, tmp_path / "nope.srt")


# ------------------------------------------------------------------ baselines and assembly
def _raw(values: np.ndarray, present: bool = True) -> pd.DataFrame:
    n = len(values)
    return pd.DataFrame({"face.brow_gap": values.astype(np.float32), "face.present": np.full(n, present),
                         "audio.rms_db": np.full(n, np.nan, np.float32), "audio.present": np.zeros(n, bool)})


def _brow_cues(signals: pd.DataFrame, baseline: Baseline, fps: float) -> pd.DataFrame:
    z = baseline.zscore(signals, "face.brow_gap")
    return pd.DataFrame({"cue.face.frown": squash(z, 2.0), "affect.face.valence": np.clip(z / 4, -1, 1),
                         "affect.face.confidence": np.where(np.isnan(z), np.nan, 0.8)})


def test_baselines_are_fitted_per_participant_over_all_their_videos():
    rng = np.random.default_rng(0)
    # 40 s each: long enough that the personal baseline is used alone (no population norms blended)
    raw = {"p1_a": _raw(rng.normal(10, 1, 1000)), "p1_b": _raw(rng.normal(14, 1, 1000)),
           "p2_a": _raw(rng.normal(30, 3, 1000))}
    b = fit_baselines(raw, {"p1_a": "p1", "p1_b": "p1", "p2_a": "p2"})
    assert sorted(b) == ["p1", "p2"]
    assert abs(b["p1"].median["face.brow_gap"] - 12) < 0.5  # both of p1's videos, not one
    assert abs(b["p2"].median["face.brow_gap"] - 30) < 0.5 and abs(b["p2"].scale["face.brow_gap"] - 3) < 0.4
    assert "face.present" not in b["p1"].median
    # the same raw value is a strong cue for p1 and none for p2
    probe = _raw(np.array([26.0]))
    meta = FrameMeta("v", "p", 25.0, 1)
    t1 = assemble(probe, b["p1"], meta, {"face": _brow_cues})
    t2 = assemble(probe, b["p2"], FrameMeta("v", "p", 25.0, 1), {"face": _brow_cues})
    z1 = (26.0 - b["p1"].median["face.brow_gap"]) / b["p1"].scale["face.brow_gap"]
    z2 = (26.0 - b["p2"].median["face.brow_gap"]) / b["p2"].scale["face.brow_gap"]
    assert z1 > 4 and -2 < z2 < -1  # p1's scale spans both videos (~3), p2's is their own ~3
    assert abs(t1.data["cue.face.frown"][0] - squash(np.array([z1]), 2.0)[0]) < 1e-5
    assert t1.data["cue.face.frown"][0] > 0.9 and t2.data["cue.face.frown"][0] < 0.05
    assert t1.data["affect.face.valence"][0] == 1.0 and -0.5 < t2.data["affect.face.valence"][0] < -0.25


def test_assemble_fills_every_required_column_for_missing_evidence():
    n = 30
    raw = _raw(np.linspace(0, 1, n))
    raw.loc[10:19, "face.present"] = False
    raw.loc[10:19, "face.brow_gap"] = np.nan
    baseline = Baseline.fit([raw[["face.brow_gap"]]])
    calls = []

    def audio_cues(signals, baseline, fps):  # must not be asked: audio is absent throughout
        calls.append(1)
        return pd.DataFrame(index=signals.index)

    t = assemble(raw, baseline, FrameMeta("v", "p", 24.0, n), {"face": _brow_cues, "audio": audio_cues})
    validate(t)
    assert calls == []
    assert set(required_columns()) <= set(t.data.columns)
    assert t.meta.missing == ["body", "audio", "text"]
    d = t.data
    assert d["frame"].tolist() == list(range(n)) and d["frame"].dtype == np.int64
    assert np.allclose(d["time_s"], np.arange(n) / 24.0)
    assert d["text.present"].dtype == bool and not d["text.present"].any()
    assert d["cue.audio.pause"].isna().all() and d["cue.language.hedging"].isna().all()
    assert (d["affect.audio.confidence"] == 0).all() and d["affect.audio.valence"].isna().all()
    # face: evidence where the face was found, none where it was not
    assert d.loc[10:19, "cue.face.frown"].isna().all() and d.loc[:9, "cue.face.frown"].notna().all()
    assert (d.loc[10:19, "affect.face.confidence"] == 0).all()
    assert np.allclose(d.loc[:9, "affect.face.confidence"], 0.8)
    assert d["cue.face.smile"].isna().all()  # a cue the module does not measure: NaN, not 0


def test_align_rows_pads_with_missing_evidence_and_cuts():
    df = pd.DataFrame({"audio.x": [1.0, 2.0], "audio.present": [True, True]})
    padded = align_rows(df, 4)
    assert padded["audio.present"].tolist() == [True, True, False, False]
    assert np.isnan(padded["audio.x"][3]) and len(align_rows(df, 1)) == 1
    assert missing_sources(df) == ["face", "body", "text"]


# --------------------------------------------------------------- single video, no overwrite
def _tiny(job: VideoJob, asr: bool) -> RawSignals:
    """A real, cheap extractor for the bookkeeping tests: luma of every 5th decoded frame."""
    from levelone.media.video import iter_frames, probe
    info = probe(job.path)
    luma = [float(rgb.mean()) for _, _, rgb in iter_frames(job.path, max_side=64)]
    return RawSignals(pd.DataFrame({"face.brow_gap": np.asarray(luma, np.float32),
                                    "face.present": np.ones(len(luma), bool)}), info.fps, len(luma))


def test_single_video_output_is_not_overwritten_without_force(shared_data, tmp_path):
    video = shared_data / "video" / "grid" / CLIP
    kw = dict(cache_dir=tmp_path / "c", progress=False, signals=_tiny, versions={"t": "1"},
              cue_functions={"face": _brow_cues})
    out = tmp_path / "features.parquet"
    r = run(plan(video), out=out, **kw)
    t = read(out)
    assert r.tables == {"id2_vcd_swwp2s": out} and t.meta.n_frames == 75 and t.meta.fps == 25.0
    assert t.meta.participant_id == "id2_vcd_swwp2s" and t.meta.versions["t"] == "1"
    assert run(plan(video), out=out, **kw).up_to_date == 1  # same inputs: kept, not an error
    out.write_bytes(b"someone else's file")
    with pytest.raises(InputError, match="already exists"):
        run(plan(video), out=out, **kw)
    assert run(plan(video), out=out, force=True, **kw).assembled == 1
    assert read(out).meta.input_hash == t.meta.input_hash


def _command(argv: list[str]) -> int:
    from reports.commands import extract as command
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    return command.run(parser.parse_args(argv))


def test_command_refuses_to_overwrite_and_bad_worker_counts(shared_data, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.features.parquet").write_text("keep me")
    video = tmp_path / "x.mpg"
    shutil.copy(shared_data / "video" / "grid" / CLIP, video)
    with pytest.raises(InputError, match="already exists"):
        _command([str(video), "--no-asr"])
    assert (tmp_path / "x.features.parquet").read_text() == "keep me"
    with pytest.raises(InputError, match="--workers"):
        _command([str(tmp_path), "--workers", "0", "--cache-dir", str(tmp_path / "c")])


def test_extract_reports_bad_videos_after_finishing_the_rest(shared_data, tmp_path):
    shutil.copy(shared_data / "video" / "grid" / CLIP, tmp_path / "good.mpg")
    (tmp_path / "bad.mp4").write_bytes(b"\0" * 4096)
    kw = dict(cache_dir=tmp_path / "c", progress=False, signals=_tiny, versions={"t": "1"}, cue_functions={})
    r = run(plan(tmp_path), **kw)
    assert [f.path for f in r.failures] == [str(tmp_path / "bad.mp4")] and list(r.tables) == ["good"]
    assert "not a video ahcue can decode" in r.failures[0].problem
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(InputError, match="not a folder"):
        run(plan(tmp_path), out=tmp_path / "file.txt", **kw)
    with pytest.raises(InputError, match=r"1 of 2 videos failed \(first: .*bad.mp4: not a video ahcue can decode"):
        extract(tmp_path, cache_dir=tmp_path / "c2", asr=False, progress=False)


# ------------------------------------------------------------- end to end, real extractors
def test_real_extract_on_a_grid_clip(shared_data, tmp_path, capsys):
    video = shared_data / "video" / "grid" / CLIP
    out = tmp_path / "features.parquet"
    code = _command([str(video), "-o", str(out), "--no-asr", "--cache-dir", str(tmp_path / "c"), "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["computed"] == 1 and summary["tables"] == {"id2_vcd_swwp2s": str(out)}
    t = read(out)
    validate(t)
    d = t.data
    assert t.meta.n_frames == len(d) == 75 and t.meta.fps == 25.0
    assert d["face.present"].mean() > 0.95 and d["body.present"].mean() > 0.9
    assert 0.2 < d["audio.present"].mean() < 0.95  # a 3 s sentence with silence around it
    assert t.meta.missing == ["text"] and not d["text.present"].any()
    assert d["cue.language.hedging"].isna().all() and (d["affect.language.confidence"] == 0).all()
    assert (d["affect.face.confidence"] > 0).mean() > 0.9
    for m in ("face", "body", "audio"):
        assert any(d[c].notna().any() for c in d.columns if c.startswith(f"cue.{m}."))
    assert set(t.meta.versions) >= {"levelone.pipeline.vision", "levelone.face.cues", "levelone.audio.prosody"}
    # a second run is served from the cache and gives the same table
    code = _command([str(video), "-o", str(tmp_path / "again.parquet"), "--no-asr",
                     "--cache-dir", str(tmp_path / "c"), "--json"])
    assert code == 0 and json.loads(capsys.readouterr().out)["cached"] == 1
    pd.testing.assert_frame_equal(read(tmp_path / "again.parquet").data, d)


def test_real_extract_with_asr_places_words_on_the_frames(shared_data, tmp_path):
    video = shared_data / "video" / "grid" / CLIP
    [path] = extract(video, out=tmp_path / "f.parquet", cache_dir=tmp_path / "c", progress=False)
    t = read(path)
    # GRID's align file puts speech at about 0.5-2.7 s; words must land inside, not outside
    spoken = t.data["text.present"].to_numpy()
    assert "text" not in t.meta.missing and spoken.mean() > 0.3
    assert not spoken[:5].any() and not spoken[-5:].any()


def test_the_interviewer_is_context_not_the_person(shared_data, tmp_path):
    """A two-speaker transcript with --speaker: the FrameTable holds the client's talk only; the
    counsellor's turn is context for the stance model, which uses it only when the shipped heads
    hold a context head (they do not: context did not help on held-out conversations, issue 25)."""
    video = shared_data / "video/grid/lbbc2a.mpg"
    client = [{"speaker": "client", "text": "I smoke a pack a day.", "start": 0.0, "end": 0.9},
              {"speaker": "client", "text": "I guess I could cut down.", "start": 2.0, "end": 2.9}]
    counsellor = [{"speaker": "counsellor", "text": "What would you like to change?", "start": 1.0, "end": 1.9}]
    (tmp_path / "both.json").write_text(json.dumps(client + counsellor))
    (tmp_path / "alone.json").write_text(json.dumps(client))
    cache = tmp_path / "cache"
    with pytest.raises(InputError, match="several speakers"):
        plan(video, tmp_path / "both.json")
    both = read(extract(video, out=tmp_path / "both.parquet", transcript=tmp_path / "both.json", speaker="client",
                        cache_dir=cache, progress=False)[0])
    alone = read(extract(video, out=tmp_path / "alone.parquet", transcript=tmp_path / "alone.json",
                         cache_dir=cache, progress=False)[0])
    fps = both.meta.fps
    spoken = both.data["text.present"].to_numpy()
    assert not spoken[int(1.05 * fps):int(1.85 * fps)].any()  # the counsellor's turn is not the client talking
    np.testing.assert_array_equal(spoken, alone.data["text.present"].to_numpy())
    first, later = slice(0, int(0.8 * fps)), slice(int(2.1 * fps), int(2.8 * fps))
    p_both, p_alone = both.data["text.p_change"].to_numpy(), alone.data["text.p_change"].to_numpy()
    np.testing.assert_allclose(p_both[first], p_alone[first])
    from levelone.language.textaffect import TextAffect

    if TextAffect().heads.stance_ctx is None:  # shipped: context did not transfer, the utterance alone is scored
        np.testing.assert_allclose(p_both[later], p_alone[later])
    else:  # a context head scores the later sentence with the counsellor's question before it
        assert np.abs(p_both[later] - p_alone[later]).max() > 1e-3


def test_neutral_recording_is_checked_when_planned(shared_data, tmp_path):
    video = shared_data / "video/cremad/1001_DFA_HAP_XX.flv"
    p = plan(video, neutral=shared_data / "video/cremad/1001_DFA_NEU_XX.flv")
    assert [j.neutral for j in p.jobs] == [False, True]
    assert p.jobs[1].participant_id == p.jobs[0].participant_id and p.jobs[1].video_id != p.jobs[0].video_id
    with pytest.raises(InputError, match="not found"):
        plan(video, neutral=tmp_path / "nothing.mp4")
    with pytest.raises(InputError, match="the video itself"):
        plan(video, neutral=video)
    with pytest.raises(InputError, match="single video"):
        plan(shared_data / "video/cremad", neutral=video)
    (tmp_path / "text.mp4").write_text("not a video")
    with pytest.raises(InputError):
        plan(video, neutral=tmp_path / "text.mp4")


@pytest.mark.slow
def test_a_declared_neutral_recording_is_the_facial_reference(shared_data, tmp_path):
    """CREMA-D's happy clip against the same actor's neutral clip: the neutral joins the baseline
    and its face is the reference at full weight (the clip alone is only 2 s, so without it the
    reference is mostly the population's); a neutral without a face is refused."""
    cremad = shared_data / "video/cremad"
    cache = tmp_path / "cache"
    alone = read(extract(cremad / "1001_DFA_HAP_XX.flv", out=tmp_path / "alone.parquet", cache_dir=cache,
                         asr=False, progress=False)[0])
    paths = extract(cremad / "1001_DFA_HAP_XX.flv", out=tmp_path / "with.parquet", cache_dir=cache, asr=False,
                    progress=False, neutral=cremad / "1001_DFA_NEU_XX.flv")
    assert paths == [tmp_path / "with.parquet"] and sorted(p.name for p in tmp_path.glob("*.parquet")) == \
        ["alone.parquet", "with.parquet"]  # no table for the neutral recording
    declared = read(paths[0])
    assert declared.meta.baseline["face"].get("declared_neutral") is True
    assert "declared_neutral" not in alone.meta.baseline.get("face", {})
    assert declared.meta.input_hash != alone.meta.input_hash
    from levelone.face.cues import NEUTRAL_KEYS, declare_neutral
    from levelone.baseline import Baseline
    neutral_raw = read(extract(cremad / "1001_DFA_NEU_XX.flv", out=tmp_path / "n.parquet", cache_dir=cache,
                               asr=False, progress=False)[0]).data
    reference = declare_neutral(Baseline({}, {}, 0), neutral_raw).median[NEUTRAL_KEYS["valence"]]
    from levelone.face.affect import EMOTIONS, expression_valence
    probs = declared.data[[f"face.expr_{e}" for e in EMOTIONS]].to_numpy(float)
    ok = np.isfinite(probs).all(axis=1)
    expected = np.clip(expression_valence(probs[ok]) - reference, -1, 1)
    got = declared.data["affect.face.valence"].to_numpy(float)[ok]
    assert np.nanmedian(got) > 0.3  # happy, read against this actor's own neutral face
    assert abs(np.nanmedian(got) - np.nanmedian(expected)) < 0.15
    with pytest.raises(InputError, match="no_face.mp4"):
        extract(cremad / "1001_DFA_HAP_XX.flv", out=tmp_path / "bad.parquet", cache_dir=cache, asr=False,
                progress=False, neutral=shared_data / "video/pyfeat/no_face.mp4")
    assert not (tmp_path / "bad.parquet").exists()
