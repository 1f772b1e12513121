"""The generated demo corpus: BAH's layout and quirks checked on disk, and the planted truth.

The corpus is a test fixture; these tests check the fixture itself (that it is BAH-shaped and
that its planted cues are really in the media), not any model's accuracy.
"""
from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import yaml

from codebook.annotations import parse_cues
from codebook.errors import InputError

pytestmark = pytest.mark.slow  # the session fixture generates the corpus once (about a minute)

NAME = re.compile(r"^(\d+)_Question_([1-7])_\d{4}-\d{2}-\d{2}[ _]\d{2}-\d{2}-\d{2}_Video(-[A-Z0-9-]+)?\.mp4$")
ANNOTATION_KEYS = {"global_ah", "frame_annotation", "fr_detailed_ah", "time_detailed_ah", "all_cues",
                   "certainty_ah", "annotator_id", "transcript"}


class TupleLoader(yaml.SafeLoader):
    """A safe loader that accepts Whisper's ``!!python/tuple`` (what BAH's readers must do)."""


TupleLoader.add_constructor("tag:yaml.org,2002:python/tuple", lambda loader, n: tuple(loader.construct_sequence(n)))


@pytest.fixture(scope="module")
def planted(demo_corpus: Path) -> dict:
    return json.loads((demo_corpus / "ahcue_planted.json").read_text())["videos"]


@pytest.fixture(scope="module")
def annotations(demo_corpus: Path) -> dict:
    return yaml.load((demo_corpus / "video_annotation_transcript.yaml").read_text(), Loader=yaml.CSafeLoader)


def _decoded_frames(path: Path) -> int:
    import av

    with av.open(str(path)) as c:
        return sum(1 for _ in c.decode(video=0))


def _transcript(root: Path, key: str) -> Path:
    return root / "transcription" / key / f"{Path(key).stem}.yml"


# ----------------------------------------------------------------------------- layout
def test_video_names_follow_bah_with_spaces_and_suffixes(demo_corpus, planted):
    names = sorted(p.name for p in (demo_corpus / "Videos").glob("*/Visite_1/*.mp4"))
    assert len(names) == len(planted) >= 8
    assert all(NAME.match(n) for n in names), [n for n in names if not NAME.match(n)]
    assert sum(" " in n for n in names) >= 2
    assert any(n.endswith("-DESKTOP-NQ55E0P.mp4") for n in names)
    for key, v in planted.items():
        assert (demo_corpus / key).is_file()
        pid, q = NAME.match(Path(key).name).group(1, 2)
        assert key.startswith(f"Videos/{pid}/Visite_1/") and int(q) == v["question"] and pid == v["participant"]


def test_face_crops_are_unpadded_256px_one_per_decoded_frame(demo_corpus, planted, annotations):
    import cv2

    for key, v in planted.items():
        folder = demo_corpus / "cropped-aligned-faces" / key
        assert folder.name.endswith(".mp4") and folder.is_dir()
        names = {p.name for p in folder.iterdir()}
        n = _decoded_frames(demo_corpus / key)
        assert n == v["n_frames"] == len(annotations[key]["frame_annotation"])
        assert names == {f"frame-{i}.jpg" for i in range(n)}  # 0-based, no zero padding
    img = cv2.imread(str(folder / "frame-10.jpg"))
    assert img.shape == (256, 256, 3)


def test_videos_are_h264_aac_at_24_fps(demo_corpus, planted):
    import av

    key = next(iter(planted))
    with av.open(str(demo_corpus / key)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        assert v.codec_context.name == "h264" and a.codec_context.name == "aac"
        assert float(v.average_rate) == 24.0
        assert abs(float(c.duration / 1e6) - planted[key]["n_frames"] / 24) < 0.1


# ----------------------------------------------------------------------------- annotations
def test_annotation_records_match_the_planted_truth(annotations, planted):
    assert set(annotations) == set(planted)
    for key, v in planted.items():
        rec = annotations[key]
        assert set(rec) == ANNOTATION_KEYS
        assert rec["global_ah"] == v["label"] == int(bool(v["segments"]))
        frames = [p for p, _ in rec["frame_annotation"]]
        assert frames[0] == f"{key}/frame-0.jpg" and frames[-1] == f"{key}/frame-{v['n_frames'] - 1}.jpg"
        labels = np.array([lab for _, lab in rec["frame_annotation"]])
        truth = np.zeros(v["n_frames"], int)
        for s in v["segments"]:
            truth[s["start_frame"]:s["end_frame"] + 1] = 1
        assert np.array_equal(labels, truth)
        assert rec["fr_detailed_ah"] == [[s["start_frame"], s["end_frame"]] for s in v["segments"]]
        assert len(rec["time_detailed_ah"]) == len(rec["all_cues"]) == len(rec["certainty_ah"]) == len(v["segments"])
        for (t0, t1), s in zip(rec["time_detailed_ah"], v["segments"]):
            assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d{3}", t0) and re.fullmatch(r"\d\d:\d\d:\d\d\.\d{3}", t1)
            h, m, sec = t0.split(":")
            assert abs(int(h) * 3600 + int(m) * 60 + float(sec) - s["start_frame"] / 24) < 0.0011
        assert isinstance(rec["annotator_id"], str) and rec["transcript"]


def test_planted_segments_carry_cues_from_two_or_more_modalities(annotations, planted):
    n_seg, n_pairs, formats = 0, 0, Counter()
    for key, v in planted.items():
        for cue_map, s in zip(annotations[key]["all_cues"], v["segments"]):
            n_seg += 1
            assert 2.0 <= s["end_s"] - s["start_s"] <= 6.0, (key, s["end_s"] - s["start_s"])
            assert len(s["cues"]) >= 2 and set(s["cues"]) >= {"body", "audio", "language"}
            assert set(cue_map) == {"audio", "body", "facial", "inconsistencies", "language"}
            cues, pairs, unresolved = parse_cues(cue_map)  # display names resolve back to the ids
            assert unresolved == ()
            assert {m: set(ids) for m, ids in cues.items()} == {m: set(ids) for m, ids in s["cues"].items()}
            assert list(pairs) == s["pairs"]
            n_pairs += bool(pairs)
            for value in cue_map.values():
                formats[type(value).__name__ + ("," if isinstance(value, str) and "," in value else "")] += 1
    assert n_seg >= 5 and n_pairs >= 1
    assert formats["list"] and formats["str,"] and formats["str"]  # the value format varies


def test_videos_without_ah_have_no_planted_language(planted):
    from levelone.democorpus.script import FILLERS

    banned = FILLERS | {"but", "maybe", "think", "want", "should", "because"}
    for v in planted.values():
        words = {re.sub(r"[^a-z']", "", w.lower()) for w, _, _ in v["words"]}
        if v["label"] == 0:
            assert not words & banned, words & banned
        else:
            assert words & FILLERS


# ----------------------------------------------------------------------------- transcripts
def test_transcripts_are_whisper_yaml_with_restarting_times(demo_corpus, planted):
    restarts = 0
    for key, v in planted.items():
        path = _transcript(demo_corpus, key)
        text = path.read_text()
        assert "!!python/tuple" in text
        with pytest.raises(yaml.YAMLError):
            yaml.safe_load(text)  # the tag needs a registered constructor (docs/bah-format.md)
        doc = yaml.load(text, Loader=TupleLoader)
        assert set(doc) == {"text", "chunks"}
        assert doc["text"].strip() == " ".join(w for w, _, _ in v["words"])
        chunks = doc["chunks"]
        assert all(set(c) == {"language", "text", "timestamp"} and isinstance(c["timestamp"], tuple) for c in chunks)
        assert chunks[-1]["timestamp"][1] is None
        starts = [c["timestamp"][0] for c in chunks]
        restarts += sum(b < a - 1.0 for a, b in zip(starts, starts[1:]))
        assert max(c["timestamp"][1] or 0 for c in chunks) <= 30.0
    assert restarts >= 1  # the long answer's times restart near 0 after 30 s


# ----------------------------------------------------------------------------- splits and metadata
def test_splits_are_bah_shaped_and_participant_disjoint(demo_corpus, planted, annotations):
    owners: dict[str, set[str]] = {}
    for split in ("train", "val", "test"):
        lines = (demo_corpus / "split" / f"{split}.txt").read_text().splitlines()
        assert lines, split
        frame_lines = (demo_corpus / "split-frames" / f"{split}.txt").read_text().splitlines()
        n_frames = n_pos = 0
        for line in lines:
            key, label, transcript = line.split(",", 2)
            assert planted[key]["split"] == split and int(label) == planted[key]["label"]
            assert transcript == annotations[key]["transcript"]
            owners.setdefault(planted[key]["participant"], set()).add(split)
            n_frames += planted[key]["n_frames"]
            n_pos += sum(lab for _, lab in annotations[key]["frame_annotation"])
        assert len(frame_lines) == n_frames
        assert sum(int(line.rsplit(",", 1)[1]) for line in frame_lines) == n_pos
        assert (demo_corpus / "cropped-aligned-faces" / frame_lines[0].rsplit(",", 1)[0]).is_file()
    assert all(len(s) == 1 for s in owners.values()) and len(owners) == 4
    assert any(line.count(",") > 2 for line in (demo_corpus / "split" / "train.txt").read_text().splitlines()), \
        "transcripts with commas, unquoted"


def test_metadata_class_ids_and_video_list(demo_corpus, planted):
    meta = yaml.safe_load((demo_corpus / "meta_data.yml").read_text())
    assert set(meta) == {v["participant"] for v in planted.values()}
    for rec in meta.values():
        assert set(rec) == {"Age", "Age range", "Birth country", "Canada province", "Ethnicity",
                            "Ethnicity simplified", "Gender", "Is student", "Use in challenges", "Use in publications"}
    assert yaml.safe_load((demo_corpus / "class_id.yaml").read_text()) == {"With A-H": 1, "No A-H": 0}
    rows = (demo_corpus / "bah-video.csv").read_text().splitlines()
    assert rows[0].split(",")[0] == "video-path" and {r.split(",")[0] for r in rows[1:]} == set(planted)


# ----------------------------------------------------------------------------- the media carry the cues
def test_words_are_where_the_audio_is(demo_corpus, planted):
    """Word times come from the synthesis: speech energy inside words, silence in planted pauses."""
    import av

    key = next(k for k, v in planted.items() if v["segments"])
    with av.open(str(demo_corpus / key)) as c:
        y = np.concatenate([f.to_ndarray().reshape(-1) for f in c.decode(audio=0)])
        sr = c.streams.audio[0].rate
    words = planted[key]["words"]

    def rms(a, b):
        seg = y[int(a * sr):int(b * sr)]
        return float(np.sqrt(np.mean(seg ** 2)))

    voiced = np.median([rms(s, e) for _, s, e in words])
    gaps = [(e0, s1) for (_, _, e0), (_, s1, _) in zip(words, words[1:]) if s1 - e0 > 0.6]
    assert gaps, "a planted pause"
    assert all(rms(a + 0.1, b - 0.1) < 0.05 * voiced for a, b in gaps)


def test_face_is_found_and_planted_head_motion_is_measurable(demo_corpus, planted):
    from levelone.democorpus.check import check_video

    keys = [k for k, v in planted.items() if v["segments"]][:2]
    for key in keys:
        share, checks = check_video(demo_corpus, key)
        assert share > 0.9
        for c in checks:
            if c.kind == "shake":
                assert c.effect > 3.0, c
            elif c.kind == "nod":
                assert c.effect > 1.5, c
            else:  # tilt and look_away hold a pose
                assert c.effect > 5.0, c


def test_rendered_poses_read_as_the_intended_rotation(shared_data):
    """Each movement's peak pose, rendered on two real faces, moves the face mesh's head pose the
    intended way (sign conventions of levelone.face.headpose)."""
    import mediapipe as mp

    from levelone.democorpus.face import FRAME_H, FRAME_W, HeadRenderer, astronaut_source, grid_source
    from levelone.face.headpose import head_pose

    def pose(frame):
        res = mesh.process(frame)
        lm = res.multi_face_landmarks[0].landmark
        p = np.array([[q.x * FRAME_W, q.y * FRAME_H, q.z * FRAME_W] for q in lm])
        return np.array([a[0] for a in head_pose(p[None])])  # yaw, pitch, roll

    with mp.solutions.face_mesh.FaceMesh(static_image_mode=True, refine_landmarks=True) as mesh:
        for source in (astronaut_source(), grid_source(shared_data / "video" / "grid" / "lbbc2a.mpg")):
            r = HeadRenderer(source)
            rest = pose(r.render(0, 0, 0, 0, 0, 0))
            yaw_r, yaw_l = pose(r.render(0, 35, 0, 0, 0, 0)) - rest, pose(r.render(0, -35, 0, 0, 0, 0)) - rest
            tilt = pose(r.render(0, 0, 0, 15, 0, 0)) - rest
            up = pose(r.render(0, 0, 25, 0, 0, 0)) - rest
            assert yaw_r[0] > 8 and yaw_l[0] < -8, (source.name, yaw_r, yaw_l)  # look away / shake peaks
            assert 10 < tilt[2] < 20 and abs(tilt[0]) < 5, (source.name, tilt)
            assert up[1] > 3, (source.name, up)  # the upward half of a nod


def test_project_probe_agrees_on_frame_counts(demo_corpus, planted):
    from levelone.media.video import probe

    for key, v in list(planted.items())[:3]:
        info = probe(demo_corpus / key)
        assert info.n_frames == v["n_frames"] and info.fps == 24.0 and info.has_audio


# ----------------------------------------------------------------------------- determinism and refusal
def _small(out: Path, seed: int) -> Path:
    from levelone.democorpus.build import generate

    return generate(out, participants=1, seed=seed, questions=[4], video_s=(4, 5), long_video_s=None)


def test_same_seed_same_files_and_no_overwrite(tmp_path, demo_corpus):
    a, b, c = _small(tmp_path / "a", 7), _small(tmp_path / "b", 7), _small(tmp_path / "c", 8)
    for rel in ("video_annotation_transcript.yaml", "ahcue_planted.json", "split/train.txt", "meta_data.yml"):
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    assert (a / "ahcue_planted.json").read_bytes() != (c / "ahcue_planted.json").read_bytes()
    key = next(iter(json.loads((a / "ahcue_planted.json").read_text())["videos"]))
    assert (a / key).read_bytes() == (b / key).read_bytes()  # bit-exact ffmpeg
    with pytest.raises(InputError, match="already exists"):
        _small(a, 7)
    other = tmp_path / "not_a_corpus"
    other.mkdir()
    (other / "precious.txt").write_text("keep me")
    from levelone.democorpus.build import generate
    with pytest.raises(InputError, match="not a demo corpus"):
        generate(other, participants=1, force=True)
    assert (other / "precious.txt").read_text() == "keep me"


def test_command_refuses_existing_output(demo_corpus):
    from reports.commands import demo_corpus as cmd

    parser = argparse.ArgumentParser()
    cmd.add_arguments(parser)
    args = parser.parse_args([str(demo_corpus), "--participants", "2", "--questions", "1,4"])
    assert args.questions == [1, 4]
    with pytest.raises(InputError, match="already exists"):
        cmd.run(args)
    with pytest.raises(SystemExit):
        parser.parse_args([str(demo_corpus), "--questions", "9"])


# ----------------------------------------------------------------------------- through the BAH reader
def test_bah_reader_gets_back_the_planted_truth(demo_corpus, planted):
    from codebook import bah

    ds = bah.BAHDataset(demo_corpus, use_cache=False)
    videos = ds.videos()
    assert {v.key for v in videos} == set(planted)
    for v in videos:
        truth = planted[v.key]
        assert v.label == truth["label"] and v.split == truth["split"] and v.question == truth["question"]
        assert v.participant_id == truth["participant"]
        assert len(v.face_crops) == truth["n_frames"] and v.face_crops[11].name == "frame-11.jpg"
        ann = v.annotation
        assert ann.n_frames == truth["n_frames"] and ann.label == truth["label"]
        assert len(ann.segments) == len(truth["segments"])
        for seg, s in zip(ann.segments, truth["segments"]):
            assert (seg.start_frame, seg.end_frame) == (s["start_frame"], s["end_frame"])
            assert {m: set(c) for m, c in seg.cues.items()} == {m: set(c) for m, c in s["cues"].items()}
            assert list(seg.pairs) == s["pairs"] and seg.certainty == s["certainty"]
        chunks = bah.read_transcript(v.transcript_path)
        starts = [c.start_s for c in chunks]
        assert starts == sorted(starts)
        # the rebuilt timeline puts every chunk where its words were synthesised (Whisper's 0.01 s rounding)
        word_starts = np.array([s for _, s, _ in truth["words"]])
        assert all(np.min(np.abs(word_starts - c.start_s)) < 0.011 for c in chunks)
        ends = np.array([e for _, _, e in truth["words"]])
        assert all(np.min(np.abs(ends - c.end_s)) < 0.011 for c in chunks[:-1])
