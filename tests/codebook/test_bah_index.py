"""The BAH index reads a hand-written root with the release's quirks back exactly."""
from __future__ import annotations

import time

import numpy as np
import pytest
import yaml

from bah_fixture import V1, V2, V3
from codebook.bah import (BAHDataset, Chunk, TupleSafeLoader, annotation_from_entry, estimate_fps,
                          read_transcript, rebuild_timeline)
from codebook.errors import InputError


def test_split_files_give_videos_with_parsed_names(bah_root):
    ds = BAHDataset(bah_root)
    assert ds.splits == ["train", "val"]
    train = ds.videos("train")
    assert [v.key for v in train] == [V1, V2]
    v1, v2 = train
    assert (v1.participant_id, v1.question, v1.split, v1.label) == ("101", 3, "train", 1)
    assert (v2.participant_id, v2.question, v2.label) == ("101", 5, 0)
    assert v1.transcript_text == "Well, I mean... um, I want to but it's hard."  # commas kept
    assert v1.path == (bah_root / V1).resolve() and v1.path.is_file() and " " in v1.path.name
    assert [v.key for v in ds.videos()] == [V1, V2, V3]
    assert ds.videos("val")[0].participant_id == "202"


def test_face_crops_sort_numerically(bah_root):
    v1 = BAHDataset(bah_root).videos("train")[0]
    assert [p.name for p in v1.face_crops] == [f"frame-{k}.jpg" for k in range(12)]


def test_annotation_yaml_is_read_exactly(bah_root):
    ds = BAHDataset(bah_root)
    ann = ds.videos("train")[0].annotation
    assert (ann.video_id, ann.fps, ann.n_frames, ann.label) == (V1, 24.0, 12, 1)
    assert ann.frame_labels.tolist() == [0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0]  # re-sorted by frame number
    s1, s2 = ann.segments
    assert (s1.start_frame, s1.end_frame, s1.start_s, s1.end_s) == (2, 5, 0.083, 0.25)
    assert (s2.start_frame, s2.end_frame, s2.start_s, s2.end_s) == (8, 10, 0.333, 0.458)
    assert s1.cues == {"face": ("face.gaze", "face.smile"), "language": ("language.filler_sound", "language.hedging")}
    assert s1.pairs == ("FL",) and s1.unresolved == ()
    assert s2.cues == {"audio": ("audio.pause", "audio.slow"), "body": ("body.shake",)}
    assert s2.pairs == ("FA", "LB")
    assert s2.unresolved == ("face:wobble", "language:I mean")  # kept, not dropped
    assert (s1.certainty, s2.certainty, s1.annotator) == (4, 3, "AB")
    # all_cues has one entry more than there are segments: it is kept aside
    assert [u.cues for u in ann.unassigned_cues] == [{"audio": ("audio.laugh",)}]
    assert np.array_equal(ann.labels(), ann.frame_labels)
    none = ds.videos("train")[1].annotation
    assert (none.label, none.segments, none.n_frames) == (0, [], 6)
    assert ds.annotation(V1, fps=30.0).fps == 30.0


def test_annotation_yaml_is_loaded_once(bah_root):
    ds = BAHDataset(bah_root)
    first = ds.raw_annotations()
    (bah_root / "video_annotation_transcript.yaml").write_text("{}")
    assert ds.raw_annotations() is first
    assert ds.annotation(V3).segments[0].cues == {"body": ("body.nod",)}


def test_metadata_class_ids_video_list_and_split_frames(bah_root):
    ds = BAHDataset(bah_root)
    assert ds.metadata["101"]["Age"] == 34 and ds.metadata["202"]["Gender"] == "Male"
    assert ds.class_ids == {"With A-H": 1, "No A-H": 0}
    assert ds.video_list() == [V1, V2, V3]
    frames = ds.split_frames("train")
    assert len(frames) == 12 and frames[2] == (f"{V1}/frame-2.jpg", 1) and frames[11][1] == 0


def test_transcript_timeline_is_rebuilt_monotonic(bah_root):
    ds = BAHDataset(bah_root)
    path = ds.videos("train")[0].transcript_path
    assert path is not None and path.name.endswith("_Video.yml")
    chunks = read_transcript(path)
    assert [(c.start_s, c.end_s) for c in chunks] == [(0.0, 2.5), (27.0, 29.5), (30.0, 32.5), (32.7, 33.9)]
    assert chunks[0] == Chunk("Well, I mean...", 0.0, 2.5, "english")
    assert ds.videos("train")[1].transcript_path is None


def test_rebuild_timeline_handles_nulls_and_several_restarts():
    raw = [("a", 0.0, 10.0), ("b", 20.0, 29.0), ("c", 1.0, None), ("d", 5.0, 28.0), ("e", 0.5, 2.0),
           ("f", None, None)]
    got = rebuild_timeline(raw)
    assert [(t, s, e) for t, s, e in got] == [
        ("a", 0.0, 10.0), ("b", 20.0, 29.0), ("c", 30.0, 34.0), ("d", 34.0, 57.0), ("e", 57.5, 59.0),
        ("f", 59.0, 59.5)]


def test_tuple_tag_is_the_only_python_tag_accepted(tmp_path):
    assert yaml.load("t: !!python/tuple [1, 2]", Loader=TupleSafeLoader) == {"t": (1, 2)}
    marker = tmp_path / "PWNED"
    bad = tmp_path / "hostile.yml"
    bad.write_text(f"text: hi\nchunks:\n- !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(InputError) as err:
        read_transcript(bad)
    assert str(err.value).startswith(f"{bad}:3:") and "unsafe or unknown YAML tag" in str(err.value)
    assert not marker.exists()


def test_fps_is_estimated_from_frame_and_time_pairs():
    assert estimate_fps([(30, 59), (90, 119)], [(1.0, 2.0), (3.0, 4.0)]) == pytest.approx(30.0)
    assert estimate_fps([(0, 5)], [(0.0, 0.2)]) is None
    assert estimate_fps([(101, 181)], [(4.208, 7.583)]) == 24.0  # ms-rounded times snap to 24
    assert estimate_fps([(100, 199)], [(8.0, 16.0)]) == pytest.approx(12.5)  # no standard rate near
    entry = {"global_ah": 1, "fr_detailed_ah": [[60, 89]], "time_detailed_ah": [["00:00:02.000", "00:00:03.000"]]}
    ann = annotation_from_entry("Videos/1/Visite_1/x.mp4", entry)
    assert ann.fps == pytest.approx(30.0) and ann.segments[0].n_frames == 30


@pytest.mark.parametrize("text, problem, line", [
    (f"{V1},1,fine\n{V2},0\n", "found 2 field(s)", 2),
    ("../../etc/passwd.mp4,1,x\n", "escapes the dataset root", 1),
    ("/etc/passwd.mp4,1,x\n", "escapes the dataset root", 1),
    (f"{V1},yes,x\n", "is not 0 or 1", 1),
])
def test_bad_split_lines_name_file_and_line(bah_root, text, problem, line):
    (bah_root / "split" / "train.txt").write_text(text)
    with pytest.raises(InputError) as err:
        BAHDataset(bah_root).videos("train")
    assert str(err.value).startswith(f"{bah_root / 'split' / 'train.txt'}:{line}: ") and problem in str(err.value)


def test_missing_root_and_split_are_input_errors(tmp_path, bah_root):
    with pytest.raises(InputError, match="BAH root not found"):
        BAHDataset(tmp_path / "nowhere")
    with pytest.raises(InputError, match="test.txt: split file not found"):
        BAHDataset(bah_root).videos("test")


def test_truncated_annotation_yaml_names_file_and_line(bah_root):
    path = bah_root / "video_annotation_transcript.yaml"
    text = path.read_text()
    path.write_text(text[: len(text) // 2] + "\n  - [unclosed\n")
    with pytest.raises(InputError) as err:
        BAHDataset(bah_root).videos("train")[0].annotation
    assert str(err.value).startswith(f"{path}:") and "bad YAML" in str(err.value)


def test_large_annotation_yaml_loads_once_then_from_the_json_cache(tmp_path):
    """~3 MB of BAH-shaped YAML (20 videos x 2,000 frames; the real file is ~91 MB). Prints the
    rates with -s; the cached second load must be much faster and give the same data."""
    root = tmp_path / "root"
    (root / "split").mkdir(parents=True)
    lines = []
    for i in range(20):
        key = f"Videos/{i}/Visite_1/{i}_Question_1_x_Video.mp4"
        lines.append(f"{key}:\n  global_ah: 1\n  fr_detailed_ah:\n  - [10, 50]\n"
                     f"  time_detailed_ah:\n  - [00:00:00.417, 00:00:02.125]\n"  # unquoted: YAML 1.1 base 60
                     f"  all_cues:\n  - {{facial: gaze, audio: pause}}\n  certainty_ah: [3]\n"
                     f"  annotator_id: AB\n  transcript: um well\n  frame_annotation:\n")
        lines.extend(f"  - - {key}/frame-{k}.jpg\n    - {int(10 <= k <= 50)}\n" for k in range(2000))
    path = root / "video_annotation_transcript.yaml"
    path.write_text("".join(lines))
    size_mb = path.stat().st_size / 1e6
    cache = tmp_path / "cache"
    t0 = time.perf_counter()
    first = BAHDataset(root, cache_dir=cache).raw_annotations()
    t1 = time.perf_counter()
    second = BAHDataset(root, cache_dir=cache).raw_annotations()
    t2 = time.perf_counter()
    print(f"\nYAML {size_mb:.1f} MB: parse {t1 - t0:.2f} s ({size_mb / (t1 - t0):.1f} MB/s), "
          f"cached {t2 - t1:.2f} s")
    assert len(list(cache.glob("*.json"))) == 1 and second == first and len(first) == 20
    assert t2 - t1 < (t1 - t0) / 3
    ann = annotation_from_entry(next(iter(second)), next(iter(second.values())))
    assert ann.n_frames == 2000 and int(ann.frame_labels.sum()) == 41
    assert (ann.segments[0].start_s, ann.segments[0].end_s) == (0.417, 2.125)
    assert ann.fps == pytest.approx(24.0, abs=0.2)  # (10 / 0.417, 51 / 2.125)
    path.write_text("".join(lines[:2001]))  # changed file: the cache key changes with it
    assert len(BAHDataset(root, cache_dir=cache).raw_annotations()) == 1


def test_entry_variants_single_pair_comma_decimals_and_labels_only():
    one = annotation_from_entry("k", {"global_ah": 1, "fr_detailed_ah": [24, 47],
                                      "time_detailed_ah": ["00:00:01,000", "00:00:02,000"],
                                      "all_cues": [{"facial": ["Frown"], "inconsistencies": "Face-language"}]})
    assert [(s.start_frame, s.end_frame, s.start_s, s.end_s) for s in one.segments] == [(24, 47, 1.0, 2.0)]
    assert one.segments[0].cues == {"face": ("face.frown",)} and one.segments[0].pairs == ("FL",)
    frames = [[f"k/frame-{k}.jpg", int(3 <= k <= 5)] for k in range(8)]
    only = annotation_from_entry("k", {"frame_annotation": frames, "all_cues": [{"audio": "pause"}]}, fps=24.0)
    assert only.label == 1 and [(s.start_frame, s.end_frame) for s in only.segments] == [(3, 5)]
    assert only.segments[0].cues == {"audio": ("audio.pause",)}
    with pytest.raises(InputError, match="global_ah 'maybe'"):
        annotation_from_entry("k", {"global_ah": "maybe"})


def test_cache_location_follows_the_environment(monkeypatch, tmp_path):
    from codebook.bah import default_cache_dir
    monkeypatch.setenv("AHCUE_CACHE", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c" / "codebook"
    monkeypatch.delenv("AHCUE_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert default_cache_dir() == tmp_path / "x" / "ahcue" / "codebook"


def test_annotation_yaml_scalars_stay_as_written(bah_root):
    """YAML 1.1 would turn annotator 'NO' into False and a transcript 'yes' into True."""
    (bah_root / "video_annotation_transcript.yaml").write_text(
        f"{V1}:\n  global_ah: 1\n  fr_detailed_ah: [[24, 47]]\n  time_detailed_ah: [[00:00:01.000, 00:00:02.000]]\n"
        f"  all_cues:\n  - {{facial: null, audio: ~, body: None, language: [hedging, null]}}\n"
        f"  certainty_ah: [null]\n  annotator_id: NO\n  transcript: yes\n")
    ann = BAHDataset(bah_root).annotation(V1)
    seg = ann.segments[0]
    assert (seg.start_s, seg.end_s, seg.annotator, seg.certainty, ann.transcript) == (1.0, 2.0, "NO", None, "yes")
    assert seg.cues == {"language": ("language.hedging",)} and seg.unresolved == ()


def test_videos_copy_without_the_lock_or_parsed_yaml(bah_root):
    """Worker pools serialise records by the same __getstate__ protocol that deepcopy uses."""
    import copy

    ds = BAHDataset(bah_root)
    ds.raw_annotations()
    video = copy.deepcopy(ds.videos("train")[0])
    assert video.key == V1 and video.dataset._annotations is None
    assert video.annotation.segments[0].cues["face"] == ("face.gaze", "face.smile")
