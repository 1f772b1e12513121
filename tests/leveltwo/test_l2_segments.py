"""Segment decoding from a known probability curve, and segment explanations from known contributions."""
import numpy as np
import pandas as pd
import pytest

from leveltwo.explain import explain_segment, modality_evidence, positive_shares
from leveltwo.segments import FrameSegment, decode_segments, hysteresis, runs, smooth


def test_runs_and_hysteresis():
    assert runs(np.array([0, 1, 1, 0, 1], bool)) == [FrameSegment(1, 2), FrameSegment(4, 4)]
    p = np.array([0.1, 0.6, 0.45, 0.45, 0.3, 0.55])
    assert hysteresis(p, 0.5, 0.4).tolist() == [False, True, True, True, False, True]


def test_smooth_mean_and_median():
    p = np.array([0, 0, 1, 0, 0], float)
    assert smooth(p, 3).tolist() == pytest.approx([0, 1 / 3, 1 / 3, 1 / 3, 0])
    assert smooth(p, 3, "median").tolist() == [0, 0, 0, 0, 0]


def test_decode_known_curve():
    fps = 10.0
    p = np.full(200, 0.1)
    p[20:60] = 0.9          # 4 s segment
    p[64:80] = 0.8          # 0.3 s gap after it: merged
    p[120:123] = 0.95       # 0.3 s blip: shorter than the minimum duration, dropped
    p[150:200] = 0.7        # runs to the end of the video
    segs = decode_segments(p, fps, threshold=0.5, smooth_s=0.0, min_duration_s=0.5, merge_gap_s=0.5)
    assert segs == [FrameSegment(20, 79), FrameSegment(150, 199)]
    assert segs[0].seconds(fps) == (2.0, 8.0)


def test_decode_hysteresis_keeps_a_dipping_segment():
    p = np.full(100, 0.1)
    p[10:50] = 0.7
    p[30:33] = 0.45  # dips under 0.5 but above 0.4
    assert decode_segments(p, 10, threshold=0.5, hysteresis_width=0.1, smooth_s=0) == [FrameSegment(10, 49)]
    assert len(decode_segments(p, 10, threshold=0.5, hysteresis_width=0.0, smooth_s=0, merge_gap_s=0)) == 2


def _contrib():
    n = 10
    return pd.DataFrame({
        "cue.body.shake": np.r_[np.zeros(5), np.full(5, 2.0)],
        "cue.audio.pause": np.r_[np.zeros(5), np.full(5, 1.0)],
        "cue.face.gaze": np.full(n, 0.5),
        "pair.FL": np.r_[np.zeros(5), np.full(5, 1.0)],
        "within.language": np.zeros(n),
        "context": np.r_[np.zeros(5), np.full(5, -3.0)],
        "bias": np.full(n, -2.0)})


def test_shares_hand_computed():
    s = positive_shares(_contrib(), 5, 9)
    # positive sums: shake 10, pause 5, gaze 2.5, FL 5; context negative and bias excluded -> total 22.5
    assert s["cue.body.shake"] == pytest.approx(10 / 22.5)
    assert s["pair.FL"] == pytest.approx(5 / 22.5)
    assert s["context"] == 0 and "bias" not in s


def test_explain_segment_sorted_and_named():
    ex = explain_segment(_contrib(), 5, 9)
    assert [c["id"] for c in ex["cues"]] == ["body.shake", "audio.pause", "face.gaze"]
    assert ex["cues"][0]["name"] == "Shake" and ex["cues"][0]["modality"] == "body"
    assert ex["modalities"][0] == {"id": "body", "share": round(10 / 22.5, 4)}
    assert ex["pairs"] == [{"id": "FL", "share": round(5 / 22.5, 4), "modalities": ["face", "language"],
                            "sides": {}, "description": "", "incongruent": []}]  # no affect data: sides unknown


def test_modality_evidence_splits_pairs():
    ev = modality_evidence(_contrib())
    assert ev["body"][9] == 2.0
    assert ev["face"][9] == pytest.approx(0.5 + 0.5)  # gaze + half of FL
    assert ev["language"][9] == pytest.approx(0.5)


def test_explain_segment_shares_add_to_one_and_carry_activation():
    contrib = _contrib()
    contrib["context"] = np.r_[np.zeros(5), np.full(5, 1.0)]  # now positive evidence: its own share
    contrib["extra_term"] = np.r_[np.zeros(5), np.full(5, 0.5)]  # a term no cue, modality or pair owns
    acts = pd.DataFrame({"cue.body.shake": np.r_[np.zeros(5), [0.9, 0.9, 0.9, 0.1, 0.1]],
                         "cue.audio.pause": np.full(10, np.nan),   # missing modality: 0
                         "cue.face.gaze": np.full(10, 0.3), "cue.face.frown": np.full(10, 0.8)})
    ex = explain_segment(contrib, 5, 9, acts)
    total = (sum(m["share"] for m in ex["modalities"]) + sum(p["share"] for p in ex["pairs"])
             + ex["context_share"] + ex["other_share"])
    assert total == pytest.approx(1.0, abs=1e-3)
    assert ex["context_share"] == round(5 / 30, 4) and ex["other_share"] == round(2.5 / 30, 4)
    shake = next(c for c in ex["cues"] if c["id"] == "body.shake")
    assert shake["activation"] == pytest.approx(0.58) and shake["active_fraction"] == pytest.approx(0.6)
    pause = next(c for c in ex["cues"] if c["id"] == "audio.pause")
    assert pause["activation"] == 0.0 and pause["active_fraction"] == 0.0
    # frown has no contribution column share... it is not a term here, so it is not listed;
    # every cue term with a positive share is, whatever its activation
    assert {c["id"] for c in ex["cues"]} == {"body.shake", "audio.pause", "face.gaze"}
# ------------------------------------------------------------------ durations from data
def test_published_prior_gives_a_minimum_from_bah_durations():
    from leveltwo.segments import SegmentPrior

    prior = SegmentPrior.published()
    assert prior.mean_s == pytest.approx(4.29)
    assert prior.sd_s == pytest.approx(58.7 * 4.29 / 103.9)
    opts = prior.decoding()
    # log-normal with BAH's mean and sd: 5% of segments are shorter than ~1.57 s; keep half of that
    assert prior.quantile(0.05) == pytest.approx(1.5715, abs=1e-3)
    assert opts["min_duration_s"] == pytest.approx(1.5715 / 2, abs=1e-3)
    assert opts["merge_gap_s"] == pytest.approx(1.5715 / 2, abs=1e-3)
    assert opts["smooth_s"] == pytest.approx(1.5715 / 4, abs=1e-3)


def test_prior_from_annotated_durations_and_fallback():
    from leveltwo.segments import SegmentPrior

    short = SegmentPrior.from_durations([1.0, 1.2, 0.9, 1.1, 1.0, 0.8], "train")
    assert short.n_segments == 6 and short.mean_s == pytest.approx(1.0)
    assert 0.3 < short.decoding()["min_duration_s"] < short.mean_s / 2
    few = SegmentPrior.from_durations([1.0, 2.0], "train")
    assert few.mean_s == pytest.approx(4.29) and "only 2 segments" in few.source
    assert SegmentPrior.from_dict(short.to_dict()) == short


def test_learnt_minimum_drops_blips_the_fixed_one_keeps():
    from leveltwo.segments import FrameSegment, SegmentPrior, segment_f1, segment_scores

    fps = 24.0
    p = np.zeros(480)
    p[48:144] = 0.9   # a 4 s segment
    p[300:312] = 0.9  # a 0.5 s blip
    fixed = decode_segments(p, fps, threshold=0.5)
    learnt = decode_segments(p, fps, threshold=0.5, **SegmentPrior.published().decoding())
    assert len(fixed) == 2 and len(learnt) == 1
    true = [FrameSegment(48, 143)]
    assert segment_f1([segment_scores(learnt, true)])["segment_f1"] == 1.0
    assert segment_f1([segment_scores(fixed, true)])["segment_f1"] == pytest.approx(2 / 3)
    assert segment_scores(learnt, true)["best_iou"][0] > 0.9


def test_session_summary_means_the_same_at_any_length():
    from leveltwo.segments import decode_segments, session_summary

    fps = 25.0
    minute = np.full(int(60 * fps), 0.1)
    minute[500:600] = 0.9  # one 4 s stretch of A/H per minute
    minute[1000:1050] = 0.7  # and a weaker 2 s one
    one = session_summary(minute, fps, decode_segments(minute, fps), 0.5)
    long = np.tile(minute, 60)
    hour = session_summary(long, fps, decode_segments(long, fps), 0.5)
    assert one["segments"] == 2 and hour["segments"] == 120
    assert one["segments_per_10_min"] == hour["segments_per_10_min"] == 20.0
    assert one["ah_time_share"] == pytest.approx(150 / 1500, abs=0.002)  # smoothing trims an edge or two
    assert hour["ah_time_share"] == pytest.approx(one["ah_time_share"], abs=0.002)
    assert one["frames_over_threshold_share"] == hour["frames_over_threshold_share"] == 0.1
    assert [m["probability"] for m in one["strongest"]] == pytest.approx([0.9, 0.7], abs=0.02)
    # strongest first, then by time
    assert len(hour["strongest"]) == 5 and hour["strongest"][0]["start_s"] == one["strongest"][0]["start_s"]
