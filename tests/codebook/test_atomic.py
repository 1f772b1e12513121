import os

import pytest

from codebook.atomic import atomic_path, check_writable, write_text
from codebook.errors import InputError


def test_error_is_one_line_with_file_and_line():
    err = InputError("data/x.yaml", "bad\nthing   here", line=7)
    assert str(err) == "data/x.yaml:7: bad thing here"
    assert str(InputError(None, "no file")) == "no file"


def test_atomic_write_replaces_only_on_success(tmp_path):
    target = tmp_path / "out.txt"
    write_text(target, "first")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half-writ")
            raise RuntimeError("killed mid-write")
    assert target.read_text() == "first"
    assert sorted(os.listdir(tmp_path)) == ["out.txt"]  # no temp file left behind


def test_existing_output_needs_force(tmp_path):
    target = tmp_path / "report.html"
    target.write_text("x")
    with pytest.raises(InputError, match="already exists"):
        check_writable(target)
    assert check_writable(target, force=True) == target


def test_outputs_follow_the_umask_not_private(tmp_path):
    old = os.umask(0o022)
    try:
        path = write_text(tmp_path / "report.html", "x")
    finally:
        os.umask(old)
    assert (path.stat().st_mode & 0o777) == 0o644


def test_input_error_survives_pickling():
    """Worker processes and Ray tasks send InputError back to the parent by pickle."""
    import pickle

    from codebook.errors import InputError

    err = pickle.loads(pickle.dumps(InputError("/data/a b.mp4", "not a readable video", line=3)))
    assert isinstance(err, InputError)
    assert (err.path, err.problem, err.line) == ("/data/a b.mp4", "not a readable video", 3)
    assert str(err) == "/data/a b.mp4:3: not a readable video"
    assert str(pickle.loads(pickle.dumps(InputError(None, "no path")))) == "no path"
