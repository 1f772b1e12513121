"""Identities by position continuity, the participant rule, --person and the participant's region."""
from __future__ import annotations

import numpy as np
import pytest

from codebook.errors import InputError
from levelone.face.people import FaceTracker, Person, choose_person, parse_person, person_region

FPS = 25.0


def _box(cx: float, cy: float, w: float = 0.2) -> list[float]:
    return [cx - w / 2, cy - w / 2, cx + w / 2, cy + w / 2]


def test_a_face_gone_for_a_few_seconds_keeps_its_identity():
    t = FaceTracker(FPS)
    for f in range(0, 50, 5):  # two faces for 2 s
        t.update(f, np.array([_box(0.25, 0.5), _box(0.75, 0.5)]), 5)
    for f in range(50, 100, 5):  # the right one turns away for 2 s (not detected)
        t.update(f, np.array([_box(0.26, 0.5)]), 5)
    for f in range(100, 150, 5):  # and comes back a little moved
        t.update(f, np.array([_box(0.27, 0.5), _box(0.72, 0.52)]), 5)
    people = t.people()
    assert len(people) == 2
    assert [p.index for p in people] == [1, 2]
    assert people[0].seen_s == pytest.approx(6.0)
    assert people[1].seen_s == pytest.approx(4.0)
    assert people[1].last_s == pytest.approx(145 / FPS)


def test_a_face_gone_longer_than_keep_s_is_someone_new():
    t = FaceTracker(FPS, keep_s=1.0)
    for f in range(0, 50, 5):
        t.update(f, np.array([_box(0.75, 0.5)]), 5)
    for f in range(100, 150, 5):  # 2 s later, same place
        t.update(f, np.array([_box(0.75, 0.5)]), 5)
    assert len(t.people()) == 2


def test_brief_false_detections_are_not_people():
    t = FaceTracker(FPS)
    for f in range(0, 100, 5):
        boxes = [_box(0.5, 0.5)] + ([_box(0.1, 0.1, 0.05)] if f < 10 else [])  # 0.4 s of a spurious face
        t.update(f, np.array(boxes), 5)
    assert t.n_people() == 1
    assert len(t.people()) == 1


def _people() -> list[Person]:
    return [Person(1, 10.0, 0.0, 10.0, (0.05, 0.3, 0.25, 0.6), 5.0),   # left, small, on screen long
            Person(2, 9.5, 0.0, 10.0, (0.6, 0.2, 0.95, 0.7), 5.0),      # right, large, about as long
            Person(3, 2.0, 4.0, 6.0, (0.96, 0.1, 0.99, 0.15), 5.0)]     # brief, rightmost


def test_default_rule_longest_then_largest():
    chosen, rule = choose_person(_people(), None)
    assert chosen.index == 2  # 9.5 s is within 10% of 10 s, and person 2 is larger
    assert rule == "on screen longest, then largest"
    chosen, _ = choose_person(_people()[:1] + _people()[2:], None)
    assert chosen.index == 1


def test_person_rules_and_bad_values():
    ppl = _people()
    assert choose_person(ppl, "left")[0].index == 1
    assert choose_person(ppl, "right")[0].index == 3
    assert choose_person(ppl, "largest")[0].index == 2
    assert choose_person(ppl, "3")[0].index == 3
    with pytest.raises(InputError, match="shows 3 people"):
        choose_person(ppl, "4")
    with pytest.raises(InputError, match="only one person"):
        choose_person(ppl[:1], "right")
    with pytest.raises(InputError, match="not left, right"):
        parse_person("middle")
    with pytest.raises(InputError):
        parse_person("0")
    assert choose_person([], None)[0] is None
    with pytest.raises(InputError, match="no face"):
        choose_person([], "left")


def test_region_is_cut_half_way_to_the_others():
    left = Person(1, 3.0, 0, 3, (0.1, 0.4, 0.3, 0.8), 1.0)
    right = Person(2, 3.0, 0, 3, (0.6, 0.4, 0.8, 0.8), 1.0)
    assert person_region([left, right], left, 720, 288) == pytest.approx((0.0, 0.0, 0.45, 1.0))
    assert person_region([left, right], right, 720, 288) == pytest.approx((0.45, 0.0, 1.0, 1.0))
    top = Person(1, 3.0, 0, 3, (0.4, 0.05, 0.6, 0.25), 1.0)
    bottom = Person(2, 3.0, 0, 3, (0.4, 0.6, 0.6, 0.8), 1.0)
    assert person_region([top, bottom], bottom, 640, 640) == pytest.approx((0.0, 0.425, 1.0, 1.0))


def test_on_screen_marks_where_a_person_may_be_seen():
    t = FaceTracker(FPS, keep_s=1.0)
    for f in range(0, 100, 5):  # person on the left for 4 s, then gone
        t.update(f, np.array([_box(0.25, 0.5)] + ([_box(0.75, 0.5)] if f >= 50 else [])), 5)
    for f in range(100, 400, 5):  # the right one stays alone
        t.update(f, np.array([_box(0.75, 0.5)]), 5)
    left, right = (t.on_screen(p.index, 400, margin_s=1.0) for p in t.people())
    assert left[:100].all() and left[95 + 25 + 5] and not left[95 + 25 + 6:].any()  # last seen 95, + 1 s + a step
    assert not right[:50 - 25 - 5].any() and right[50 - 25 - 5:].all()
    assert left.dtype == bool and left.shape == (400,)


def test_people_who_follow_one_another_are_not_together():
    # a cut from one speaker to another (different places in the frame) is not two people at once
    t = FaceTracker(FPS, keep_s=1.0)
    for f in range(0, 100, 5):
        t.update(f, np.array([_box(0.3, 0.5)]), 5)
    for f in range(100, 200, 5):
        t.update(f, np.array([_box(0.7, 0.5)]), 5)
    assert t.n_people() == 2 and not t.together()
    for f in range(200, 225, 5):  # both on screen for 1 s
        t.update(f, np.array([_box(0.3, 0.5), _box(0.7, 0.5)]), 5)
    assert t.together()
    assert FaceTracker.from_state(t.state()).together()  # a resumed run remembers it
