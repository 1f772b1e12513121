"""Honest folds for the stance model: no conversation, and no series with the same people, in two folds."""
from __future__ import annotations

import numpy as np
import pandas as pd

from levelone.training import text as tt
from levelone.training.conversations import SERIES, conversation_groups, series_merges


def _fold_of(test_folds, n: int) -> np.ndarray:
    fold = np.full(n, -1)
    for k, (_, te) in enumerate(test_folds):
        fold[te] = k
    return fold


def test_no_conversation_straddles_the_folds(shared_data):
    mi = tt.load_annomi_dialogue(shared_data)
    raw = pd.read_csv(shared_data / tt.ANNOMI_FILE)
    url = dict(zip(raw["transcript_id"], raw["video_url"]))
    title = dict(zip(raw["transcript_id"], raw["video_title"]))
    y = mi["label"].map({c: i for i, c in enumerate(tt.STANCE_CLASSES)}).to_numpy()
    fold = _fold_of(tt.grouped_folds(y, mi["conversation"].to_numpy(), seed=0), len(mi))
    assert (fold >= 0).all()
    videos = mi["transcript_id"].map(url)
    assert videos.groupby(fold).apply(set).map(len).sum() == videos.nunique()  # each video in one fold only
    # the series merges: all parts of "Monkey on My Back" and both takes with "Sal" share a fold
    titles = mi["transcript_id"].map(title)
    for pattern in (r"^Monkey on My Back", r"\"Sal\"", r"Ricky"):
        m = titles.str.contains(pattern).to_numpy()
        assert m.sum() > 50 and len(set(fold[m])) == 1, pattern
    # the old grouping (transcript_id) did put one conversation into several folds
    old = _fold_of(tt.grouped_folds(y, mi["transcript_id"].to_numpy(), seed=0), len(mi))
    assert (pd.Series(old).groupby(videos.to_numpy()).nunique() > 1).any()


def test_groups_and_the_merges_the_card_lists(shared_data):
    raw = pd.read_csv(shared_data / tt.ANNOMI_FILE)
    facts = series_merges(raw)
    assert facts["videos_split_over_transcript_ids"] == 9 and facts["transcript_ids_in_split_videos"] == 23
    assert facts["transcripts"] == 133 and facts["groups"] == 84
    assert len(facts["series_merged"]) == len(SERIES)  # every rule merges at least two videos
    assert facts["series_merged"]["Monkey on My Back (parts 1, 2, 4)"] == [
        "Monkey on My Back - Part 1", "Monkey on My Back - Part 2", "Monkey on My Back - Part 4"]
    g = conversation_groups(raw)
    assert len(g) == len(raw)
    one = raw["video_title"] == "Brief intervention: \"Jill\""  # no series: its own video
    assert set(g[one.to_numpy()]) == set(raw.loc[one, "video_url"])
