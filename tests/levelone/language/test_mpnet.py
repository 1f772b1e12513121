"""all-mpnet-base-v2 from its five PyPI parts: assembled atomically, never downloaded; absent -> one line."""
from __future__ import annotations

import pytest

from codebook.errors import InputError
from levelone.language import mpnet


def test_missing_parts_say_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(mpnet, "MPNET_PARTS", ("ahcue-no-such-package-001",) + mpnet.MPNET_PARTS[1:])
    with pytest.raises(InputError) as err:
        mpnet.mpnet_dir(tmp_path)
    assert "\n" not in str(err.value) and "make setup" in str(err.value)
    assert list(tmp_path.iterdir()) == []  # nothing half-made left behind


@pytest.mark.slow
def test_assembles_a_loadable_folder_once(tmp_path):
    try:
        parts = mpnet.part_files()
    except InputError as err:
        pytest.skip(str(err))
    assert [p.name[-3:] for p in parts] == ["001", "002", "003", "004", "005"]
    folder = mpnet.mpnet_dir(tmp_path)
    assert (folder / "config.json").is_file() and (folder / "model.safetensors").stat().st_size > 400e6
    assert [p.name for p in tmp_path.iterdir()] == [f"all-mpnet-base-v2-{mpnet.mpnet_version()}"]  # no temp left
    stamp = (folder / "model.safetensors").stat().st_mtime_ns
    assert mpnet.mpnet_dir(tmp_path) == folder and (folder / "model.safetensors").stat().st_mtime_ns == stamp
    from levelone.language.textaffect import SentenceEncoder

    enc = SentenceEncoder(path=folder)
    v = enc.encode(["I want to quit smoking.", "I really want to stop smoking.", "The bus was late."])
    assert v.shape == (3, 768) and v[0] @ v[1] > v[0] @ v[2] + 0.3
