"""protobuf's GetPrototype deprecation (raised through mediapipe) is filtered at its source, and
only it (issue 20: `ahcue demo-corpus` printed it)."""
from __future__ import annotations

import subprocess
import sys

TRIGGER = ("import warnings; from google.protobuf import symbol_database, descriptor_pb2; {setup}"
           "symbol_database.Default().GetPrototype(descriptor_pb2.FileDescriptorProto.DESCRIPTOR); "
           "warnings.warn('another warning still shows', UserWarning)")


def _stderr(setup: str) -> str:
    code = TRIGGER.format(setup=setup)
    return subprocess.run([sys.executable, "-W", "default", "-c", code], capture_output=True, text=True,
                          check=True).stderr


def test_the_protobuf_deprecation_is_ignored_and_nothing_else():
    assert "GetPrototype() is deprecated" in _stderr("")  # the control: protobuf does warn
    quiet = _stderr("from levelone.face.mediapipe_runtime import ignore_protobuf_deprecation; "
                    "ignore_protobuf_deprecation(); ")
    assert "GetPrototype() is deprecated" not in quiet
    assert "another warning still shows" in quiet


def test_demo_corpus_face_finder_prints_no_protobuf_warning():
    """demo-corpus's MediaPipe face detector (on scikit-image's astronaut, its own source image)
    runs with every warning shown (-W default) and protobuf's deprecation never appears."""
    code = ("from skimage import data; from levelone.democorpus.face import find_face; "
            "x, y, w = find_face(data.astronaut()); print(round(w))")
    done = subprocess.run([sys.executable, "-W", "default", "-c", code], capture_output=True, text=True, check=True)
    assert 80 < int(done.stdout.strip().splitlines()[-1]) < 130  # the face was found (about 104 px wide)
    assert "GetPrototype" not in done.stderr


def _fresh(code: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.split()


def test_mediapipe_imports_without_matplotlib_and_its_plotting_still_works():
    """import_mediapipe defers the drawing utilities' pyplot import (~0.3 s of a fresh process):
    matplotlib is not imported, and the first use of ``plt`` imports the real pyplot."""
    out = _fresh("import sys; from levelone.face.mediapipe_runtime import import_mediapipe; "
                 "mp = import_mediapipe(); print('matplotlib' in sys.modules, 'matplotlib.pyplot' in sys.modules); "
                 "mp.solutions.face_mesh.FaceMesh(refine_landmarks=True).close(); "
                 "from mediapipe.python.solutions import drawing_utils as du; figure = du.plt.figure; "
                 "import matplotlib.pyplot as plt; "
                 "print(figure is plt.figure, type(plt).__name__, type(sys.modules['matplotlib']).__name__)")
    assert out == ["False", "False", "True", "module", "module"]


def test_mediapipe_imports_without_its_unused_apis_and_they_still_work():
    """The Tasks audio and vision APIs and the pose solution's downloader are deferred too: not
    imported (nor sounddevice and urllib.request with them), and each works on first use."""
    out = _fresh("import sys; from levelone.face.mediapipe_runtime import import_mediapipe; "
                 "mp = import_mediapipe(); "
                 "names = ('mediapipe.tasks.python.audio', 'mediapipe.tasks.python.vision', "
                 "'mediapipe.python.solutions.download_utils', 'sounddevice', 'urllib.request'); "
                 "print(*(n in sys.modules for n in names)); "
                 "print(mp.tasks.audio.AudioClassifier.__name__, mp.tasks.vision.FaceLandmarker.__name__, "
                 "callable(mp.solutions.pose.download_utils.download_oss_model), mp.tasks.BaseOptions.__name__); "
                 "print(*(type(sys.modules[n]).__name__ for n in names[:3]))")
    assert out == ["False"] * 5 + ["AudioClassifier", "FaceLandmarker", "True", "BaseOptions"] + ["module"] * 3


def test_matplotlib_is_not_deferred_when_already_imported():
    out = _fresh("import matplotlib.pyplot as plt; from levelone.face.mediapipe_runtime import import_mediapipe; "
                 "import_mediapipe(); from mediapipe.python.solutions import drawing_utils as du; "
                 "print(du.plt is plt)")
    assert out == ["True"]
