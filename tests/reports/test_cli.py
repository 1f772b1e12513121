import subprocess
import sys

from reports.cli import main
from reports.commands import COMMANDS


def test_help_lists_every_command(capsys):
    assert main([]) == 2
    out = capsys.readouterr().out
    for _, name, _ in COMMANDS:
        assert name in out


def test_help_is_fast_and_loads_no_models():
    code = ("import sys, reports.cli as c; c.build_parser(); "
            "heavy = [m for m in ('torch', 'mediapipe', 'transformers', 'librosa', 'xgboost') if m in sys.modules]; "
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
