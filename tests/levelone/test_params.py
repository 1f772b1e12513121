"""Named cue parameters, the shipped calibration and the level-one cache key (issue 13)."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from levelone.audio.prosody import AudioCueParams, audio_params
from levelone.body.cues import BodyCueParams, body_params
from levelone.face.cues import FaceCueParams, face_params
from levelone.language.cues import LanguageCueParams, language_params
from levelone.params import calibration_path, params_digest, recentre, shipped_calibration
from levelone.pipeline import versions
from levelone.baseline import squash

UNITS = ("_z", "_s", "_deg", "_ratio", "_iod", "_db", "_sw", "_sw_per_s", "_hz", "_deg_per_s", "_p", "_valence",
         "_width", "_quantile", "_factor", "_units", "_unit", "_periodicity", "_ratio_s")


@pytest.mark.parametrize("cls", [FaceCueParams, BodyCueParams, AudioCueParams, LanguageCueParams])
def test_params_are_frozen_and_name_their_unit(cls):
    p = cls()
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(p, dataclasses.fields(cls)[0].name, 0.0)
    unnamed = [f.name for f in dataclasses.fields(cls) if not f.name.endswith(UNITS) and "_for_" not in f.name
               and not f.name.startswith(("dominance", "swings", "restless", "valence", "min_valence"))]
    assert not unnamed, f"{cls.__name__} fields without a unit suffix: {unnamed}"


def test_shipped_calibration_sets_the_params_in_force():
    cal = shipped_calibration()
    assert calibration_path().is_file(), "run `ahcue calibrate --update-shipped`"
    for section, loader, cls in (("face", face_params, FaceCueParams), ("body", body_params, BodyCueParams),
                                 ("audio", audio_params, AudioCueParams),
                                 ("language", language_params, LanguageCueParams)):
        shipped = {k: (tuple(v) if isinstance(v, list) else v) for k, v in cal["params"][section].items()}
        assert dataclasses.asdict(loader()) == shipped
        assert set(shipped) == {f.name for f in dataclasses.fields(cls)}
    # below 0.5 (more sensitive than the code threshold) only where the two-sided choice moved it
    below = {k for k, v in cal["operating_points"].items() if v < 0.5}
    assert all(0.0 < v <= 1.0 for v in cal["operating_points"].values())
    assert below <= {k for k, r in cal.get("two_sided", {}).items() if r["moved"]}
    assert {"median", "scale", "stable_s"} <= set(cal["population"])


def test_recentre_is_a_threshold_shift_for_a_squash():
    z = np.linspace(-3, 8, 50)
    level = 0.9
    shifted = recentre(squash(z, 2.0, 0.5), level)
    expected = squash(z, 2.0 + 0.5 * np.log(level / (1 - level)), 0.5)
    assert np.allclose(shifted, expected, atol=1e-5)
    assert np.isnan(recentre(np.array([np.nan]), 0.8)).all()
    assert np.array_equal(recentre(np.array([0.0, 1.0]), 0.95), [0.0, 1.0])
    assert np.array_equal(recentre(np.array([0.3, 0.7]), 0.5), [0.3, 0.7])  # 0.5: unchanged
    # a level under 0.5 lowers the threshold: the same squash, 0.5 at a smaller score
    low = 0.2
    assert np.allclose(recentre(squash(z, 2.0, 0.5), low), squash(z, 2.0 + 0.5 * np.log(low / (1 - low)), 0.5),
                       atol=1e-5)
    assert recentre(np.array([low]), low)[0] == pytest.approx(0.5)


def test_cache_key_covers_every_cached_module_and_the_calibration():
    for m in ("levelone.face.cues", "levelone.face.headpose", "levelone.face.affect", "levelone.body.cues",
              "levelone.pipeline.vision", "levelone.audio.prosody"):
        assert m in versions.SIGNAL_MODULES
    keys = versions.cue_versions()
    assert keys["levelone/data/calibration.json"] != versions.ABSENT_VERSION
    assert "levelone/data/fer/emotion_model_quantized.tflite" in versions.signal_versions()
    before = params_digest(face_params())
    changed = dataclasses.replace(face_params(), eyebrow_z=face_params().eyebrow_z + 1)
    assert params_digest(changed) != before
    # a different calibration gives a different stage-2 key
    assert params_digest(face_params(), calibration={"operating_points": {}}) != params_digest(face_params())


def test_every_keyed_module_declares_its_version():
    """A module without ``VERSION`` reads as the fallback, so a change to its output could not be
    keyed by bumping it (issue 20, defect 6: head pose had none)."""
    undeclared = [m for m in versions.SIGNAL_MODULES + versions.CUE_MODULES
                  if versions.module_version(m) in (versions.FALLBACK_VERSION, versions.ABSENT_VERSION)]
    assert not undeclared


def test_cache_key_holds_the_signal_libraries_versions():
    """librosa (pitch tracking, resampling through soxr) and OpenCV (pose and expression crops)
    change stage-1 output when upgraded: their installed versions are in the key."""
    from importlib import metadata

    import cv2

    keys = versions.signal_versions()
    assert keys["package:librosa"] == metadata.version("librosa")
    assert keys["package:soxr"] == metadata.version("soxr")
    dist, _, version = keys["package:opencv"].partition("==")
    assert dist in versions.OPENCV_DISTRIBUTIONS and version == metadata.version(dist)
    assert cv2.__version__.split(".")[:2] == version.split(".")[:2]  # the distribution that provides cv2
    assert keys["levelone.face.headpose"] == "1"
    assert versions.cue_versions()["codebook/data/vocabulary.yaml"] != versions.ABSENT_VERSION


def test_missing_shipped_calibration_is_an_error_naming_the_file(tmp_path, monkeypatch):
    """No quiet fall back to the code defaults (issue 20, defect 5): a broken installation says so."""
    from codebook.errors import InputError
    import levelone.params as params_module

    missing = tmp_path / "calibration.json"
    monkeypatch.setattr(params_module, "calibration_path", lambda: missing)
    shipped_calibration.cache_clear()
    try:
        with pytest.raises(InputError, match="calibration missing") as err:
            body_params()
        assert err.value.path == str(missing)
    finally:
        monkeypatch.undo()
        shipped_calibration.cache_clear()
    assert shipped_calibration()["operating_points"]  # the real file again
