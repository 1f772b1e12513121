"""Honest cross-validation groups for AnnoMI: one group per conversation, and one per series.

Why: AnnoMI's ``transcript_id`` is not a conversation. Nine videos are cut into two to five
transcript ids, so folds grouped by transcript id put the same client, in the same conversation,
in training and test folds. Several published videos are also parts of one series with the same
people (a "Part 1" and a "Part 2", the "effective" and "ineffective" take of one scenario with the
same actors). A model evaluated across such folds is partly recognising people it has already
heard. Grouping by ``video_url`` and then merging the series below keeps every person's talk in
one fold.

The series are decided from ``video_title`` by the rules in :data:`SERIES` (a name and a regular
expression; every title that matches joins the series). They are written out in the model card
(:func:`series_merges`), so a reader can check each merge. Merging where it was not needed only
makes the folds coarser (honest, at worst a little pessimistic); leaving a real series split
would leak.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

# (series name, pattern on video_title). Same client (and usually the same clinician) in each.
SERIES: tuple[tuple[str, str], ...] = (
    ("Monkey on My Back (parts 1, 2, 4)", r"^Monkey on My Back - Part"),
    ("MI: Not So Good - Not so Bad (parts 1, 2)", r"^MI: Not So Good - Not so Bad - Part"),
    ("A Non-Diet Approach role play (parts 1-4)", r"^Part \d: A Non-Diet Approach"),
    ("MI in an Integrated Care Setting (parts one-three)", r"Motivational Interviewing in an Integrated Care Setting"),
    ("Dental practice, tobacco use with David (MI / not MI)", r"Dental Practice Addressing tobacco use with David"),
    ("Dental practice, Emily's oral piercing (MI / not MI)", r"Dental Practice Emily's Oral Piercing"),
    ("Conversations with \"Sal\" about asthma", r"\"Sal\""),
    ("ComMIt asthma (with / without MI)", r"^ComMIt Asthma Dialogue"),
    ("ComMIt diabetes (with / without MI)", r"^ComMIt Diabetes Dialogue"),
    ("ComMIt high cholesterol (with / without MI)", r"^ComMIt High Cholesterol Dialogue"),
    ("Athletic director, lower-risk teen (effective / ineffective)", r"Athletic Director With a Lower-Risk Teen"),
    ("Dentist (effective / ineffective)", r"^The (?:In)?[Ee]ffective Dentist"),
    ("Pharmacist (effective / ineffective)", r"^The (?:In)?[Ee]ffective Pharmacist"),
    ("Physician (effective / ineffective)", r"^The (?:In)?[Ee]ffective Physician"),
    ("School counselor, high-risk teen (effective / ineffective)", r"School Counselor With a High Risk Teen"),
    ("School counselor, lower-risk teen (effective / ineffective)", r"School Counselor With a Lower-Risk Teen"),
    ("TEACH project health practitioner (effective / ineffective)", r"^The TEACH Project - The (?:In)?[Ee]ffective"),
    ("TEACH project tobacco cessation, Dr. Herie", r"^Dr\. Marilyn Herie"),
    ("TEACH project tobacco cessation, Dr. Selby", r"^Dr\. Peter Selby"),
    ("Values clarification with Deborah, Aviyana and Sheri", r"Deborah|Aviyana"),
    ("Ricky (Daryl interviews Ricky; Ricky and Ian)", r"Ricky"),
    ("Alcohol use with a pregnant woman (two takes)", r"Pregnant Woman"),
    ("MI scenario web training (1-3)", r"^MI Scenario \d web training"),
    ("MI role play (1, 2)", r"^MI role play"),
    ("MI good / bad example and change plan", r"^MI-(?:Good Example|Bad example|Change Plan)"),
    ("Home visiting OARS (open questions, reflections)", r"in Home Visiting/OARS"),
    ("Vaccine hesitancy (EPE; microskills annotated)", r"vaccine hesitancy"),
)


def conversation_groups(frame: pd.DataFrame) -> np.ndarray:
    """One group label per row: the row's series name (:data:`SERIES`) or else its ``video_url``.

    ``frame`` needs ``video_url`` and ``video_title`` (AnnoMI's columns).
    """
    titles = frame["video_title"].astype(str)
    out = frame["video_url"].astype(str).to_numpy(dtype=object).copy()
    taken = np.zeros(len(frame), dtype=bool)
    for name, pattern in SERIES:
        hit = titles.str.contains(pattern, regex=True, flags=re.IGNORECASE).to_numpy() & ~taken
        out[hit] = "series: " + name
        taken |= hit
    return out


def series_merges(frame: pd.DataFrame) -> dict:
    """For the model card: every series that merged more than one video, with its titles, and
    the videos that AnnoMI splits over several transcript ids."""
    g = conversation_groups(frame)
    d = frame.assign(group=g)
    merges = {}
    for name, part in d[d["group"].str.startswith("series: ")].groupby("group", sort=True):
        titles = sorted(part["video_title"].astype(str).unique())
        if len(titles) > 1:
            merges[name.removeprefix("series: ")] = titles
    per_video = d.groupby("video_url")["transcript_id"].nunique()
    split = per_video[per_video > 1]
    return {
        "rule": "one group per video_url; videos of one series with the same people (decided from video_title, "
                "levelone.training.conversations.SERIES) merged into one group",
        "series_merged": merges,
        "videos_split_over_transcript_ids": int(len(split)),
        "transcript_ids_in_split_videos": int(split.sum()),
        "groups": int(len(set(g))),
        "transcripts": int(frame["transcript_id"].nunique()),
    }
