"""Registers ``tests/reports/fixtures.py`` as the module ``report_fixtures``.

Test folders have no ``__init__.py`` (``tests/reports`` would otherwise shadow the real ``reports``
package), so the helper is loaded by path under a name no other folder's helper can clash with.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

if "report_fixtures" not in sys.modules:
    _spec = importlib.util.spec_from_file_location("report_fixtures", Path(__file__).with_name("fixtures.py"))
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["report_fixtures"] = _module
    _spec.loader.exec_module(_module)
