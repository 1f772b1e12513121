"""codebook.yamlfile.safe_load: libyaml's parser with PyYAML's safe constructor."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from codebook.yamlfile import safe_load

DATA = [Path(__file__).parents[2] / "codebook" / "data" / "vocabulary.yaml",
        Path(__file__).parents[2] / "levelone" / "data" / "lexicon.yaml"]


@pytest.mark.parametrize("path", DATA, ids=lambda p: p.name)
def test_reads_the_shipped_files_as_the_pure_python_loader_does(path):
    text = path.read_text(encoding="utf-8")
    assert safe_load(text) == yaml.safe_load(text)


def test_constructs_no_python_objects():
    with pytest.raises(yaml.YAMLError):
        safe_load("!!python/object/apply:os.system ['echo unsafe']")
