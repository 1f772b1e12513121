import argparse
import subprocess
import sys

import pytest

from reports.cli import build_parser, main
from reports.commands import COMMANDS


def test_help_lists_every_command(capsys):
    import importlib

    assert main([]) == 2
    out = capsys.readouterr().out
    for module in COMMANDS:
        mod = importlib.import_module(f"reports.commands.{module}")
        assert mod.NAME.replace("-", "_") == module and mod.NAME in out  # the module is named for its command
    assert "examples:" in out
    subs = dict(_subparsers(build_parser()))
    for module in COMMANDS:
        mod = importlib.import_module(f"reports.commands.{module}")
        assert subs[mod.NAME].description == mod.HELP  # one source: the module's own NAME and HELP


def test_help_is_fast_and_loads_no_models():
    """Building the command line loads no model and no data library (the video modes of ``--video``
    come from :mod:`reports.video`, not from the page renderer, which imports pandas and level two)."""
    code = ("import sys, reports.cli as c; c.build_parser(); "
            "heavy = [m for m in ('torch', 'mediapipe', 'transformers', 'librosa', 'xgboost', 'pandas', "
            "'reports.html', 'leveltwo') if m in sys.modules]; "
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_version_comes_from_the_package_metadata(capsys):
    from importlib import metadata

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    out = capsys.readouterr().out.strip()
    try:
        expected = metadata.version("ahcue")
    except metadata.PackageNotFoundError:
        expected = "0+unknown"
    assert out.startswith(f"ahcue {expected}")


def _subparsers(parser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield from action.choices.items()


def test_every_flag_has_help_and_every_command_has_examples():
    parser = build_parser()
    for name, sub in _subparsers(parser):
        assert sub.epilog and "examples:" in sub.epilog, f"ahcue {name} --help shows no examples"
        stack = [(name, sub)]
        while stack:
            label, p = stack.pop()
            for action in p._actions:
                if isinstance(action, argparse._SubParsersAction):
                    stack += [(f"{label} {n}", sp) for n, sp in action.choices.items()]
                elif not isinstance(action, argparse._HelpAction):
                    assert action.help, f"ahcue {label} {action.option_strings or action.dest}: no help"


def test_flags_are_named_the_same_everywhere():
    """-o/--output for outputs, --model for a model folder, --kind for a model kind, --cache-dir."""
    parser = build_parser()
    commands = dict(_subparsers(parser))
    for name, sub in commands.items():
        flags = {s for a in sub._actions for s in a.option_strings}
        assert "--out" not in flags and "--cache" not in flags, name
        if "-o" in flags:
            assert "--output" in flags, name
        for a in sub._actions:
            if "--model" in a.option_strings:
                assert a.choices is None and a.metavar == "DIR", f"{name}: --model must be a model folder"
    for name in ("train", "analyze", "predict", "evaluate", "compare"):
        assert any("--kind" in a.option_strings for a in commands[name]._actions), name
    for name in ("analyze", "predict", "evaluate", "compare"):
        assert any("--model" in a.option_strings for a in commands[name]._actions), name


def test_text_affect_help_defines_confidence_and_stance(capsys):
    with pytest.raises(SystemExit):
        main(["text-affect", "--help"])
    out = capsys.readouterr().out
    assert "confidence  0..1" in out and "stance      the most probable" in out


def test_analyze_help_documents_annotation_columns(capsys):
    with pytest.raises(SystemExit):
        main(["analyze", "--help"])
    out = capsys.readouterr().out
    assert "video_id, start_s, end_s (required)" in out and ".flv" in out


def test_native_start_up_lines_are_filtered_from_fd_2():
    """Lines C++ libraries write straight to descriptor 2 are dropped; everything else passes, in order."""
    code = r"""
import os, sys
from reports.terminal import native_noise_filtered
with native_noise_filtered():
    os.write(2, b"W0000 00:00:1732958450.123456   12345 inference_feedback_manager.cc:114] Feedback manager\n")
    os.write(2, b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n")
    print("real error line", file=sys.stderr, flush=True)
    os.write(2, b"bar 50%\r")
    os.write(2, b"I0000 00:00:1732958450.1 12 gl_context.cc:357] GL version: 3.2\n")
print("after", file=sys.stderr)
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True)
    assert res.returncode == 0, res.stderr
    assert res.stderr == b"real error line\nbar 50%\rafter\n"


def test_help_mentions_every_kind_train_offers(capsys):
    """`train --kind fusion` was offered but named in no help (issue 20, CLI papercuts)."""
    assert main([]) == 2
    top = " ".join(capsys.readouterr().out.split())
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    train = " ".join(capsys.readouterr().out.split())
    kinds = next(a for _, p in _subparsers(build_parser()) if p.prog.endswith(" train")
                 for a in p._actions if "--kind" in a.option_strings).choices
    for kind in kinds:
        assert kind in train.split("options:")[0], kind  # the description, above the option list
    assert "--kind fusion" in top and "--kind fusion" in train


def test_text_affect_columns_are_listed_in_the_order_written():
    """One order for text-affect's columns in the code, its --help and the README (issue 20)."""
    import re
    from pathlib import Path

    from reports.commands import text_affect

    order = list(text_affect.OUTPUT_COLUMNS)
    assert order == ["valence", "p_change", "p_neutral", "p_sustain", "stance", "confidence"]
    helped = [line.split()[0] for line in text_affect.EXAMPLES.split("examples:")[0].splitlines()[1:]
              if line.startswith("  ") and not line.startswith("   ") and line.split()[0] in order]
    assert helped == order
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    paragraph = readme.split("**`text-affect` output columns**", 1)[1].split("\n\n", 1)[0]
    named = [c for c in re.findall(r"`(\w+)`", paragraph) if c in order]
    assert list(dict.fromkeys(named)) == order


def _command(argv: list[str], before: str = "") -> subprocess.CompletedProcess:
    """``reports.cli.run`` (the ``ahcue`` entry point) in a fresh interpreter, output piped."""
    code = f"import sys\n{before}\nsys.argv = ['ahcue'] + {argv!r}\nfrom reports.cli import run\nrun()\n"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


TORN_DOWN = """
class Witness:
    def __del__(self):
        print('torn down', flush=True)
witness = Witness()
import atexit
atexit.register(lambda: print('exit handler ran'))
"""


def test_the_command_skips_the_interpreter_teardown_but_not_exit_handlers_or_output():
    """run() ends the process once main returns (the teardown cost ~0.25 s a cold extract): exit
    handlers still run, piped output is complete, and the exit code is main's."""
    done = _command(["codebook", "show", "Filler sound"], TORN_DOWN)
    assert done.returncode == 0
    assert done.stdout.startswith("language.filler_sound")
    assert "FrameTable column: cue.language.filler_sound" in done.stdout
    assert "exit handler ran" in done.stdout
    assert "torn down" not in done.stdout  # the control below shows the ordinary exit prints it
    control = subprocess.run([sys.executable, "-c", TORN_DOWN], capture_output=True, text=True, timeout=60)
    assert "torn down" in control.stdout


def test_the_command_keeps_its_exit_code_for_user_errors(tmp_path):
    done = _command(["extract", str(tmp_path / "missing.mp4"), "--no-asr"])
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "missing.mp4" in done.stderr


def test_the_command_waits_for_a_thread_still_running():
    """A non-daemon thread still at work when main returns: the ordinary exit, which waits for it."""
    before = ("import threading, time\n"
              "threading.Thread(target=lambda: (time.sleep(0.5), print('thread finished', flush=True))).start()")
    done = _command(["codebook", "show", "Filler sound"], before)
    assert done.returncode == 0 and "thread finished" in done.stdout
