"""The package layering holds: no import cycle, nothing imports upward.

Walks every module of the four packages with :mod:`ast` (no import-time work), counting imports
anywhere in the file, function-level ones included, since a lazy import is still a dependency.
"""
from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LAYERS = ("codebook", "levelone", "leveltwo", "reports")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def package_modules() -> dict[str, Path]:
    return {module_name(p): p for layer in LAYERS for p in sorted((REPO / layer).rglob("*.py"))}


def imports_of(path: Path, known: set[str]) -> set[str]:
    """Project modules imported by the file at ``path`` (resolved to the longest known name)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def graph() -> dict[str, set[str]]:
    mods = package_modules()
    known = set(mods)
    g = {m: imports_of(p, known) - {m} for m, p in mods.items()}
    # A package's __init__ is imported with every submodule; submodules importing their own package
    # root is not an edge worth a cycle report.
    return {m: {d for d in deps if not m.startswith(d + ".")} for m, deps in g.items()}


def find_cycle(g: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for d in sorted(g.get(m, ())):
            if state.get(d) == 1:
                return stack[stack.index(d):] + [d]
            if d not in state and (c := visit(d)):
                return c
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(g):
        if m not in state and (c := visit(m)):
            return c
    return None


def test_no_import_cycle():
    cycle = find_cycle(graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_nothing_imports_upward():
    rank = {layer: i for i, layer in enumerate(LAYERS)}
    upward = [(m, d) for m, deps in graph().items() for d in deps
              if rank[d.split(".")[0]] > rank[m.split(".")[0]]]
    assert upward == []


def test_cycle_finder_finds_a_planted_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_models_never_import_the_training_loop():
    g = graph()
    assert "leveltwo.train" not in g["leveltwo.detector"] | g["leveltwo.xgb"]


def test_runtime_never_imports_the_training_area():
    """Training and calibration (levelone.training) are research code: what ``analyze`` runs
    (every other module of the four packages, the CLI's training commands aside) never imports it."""
    g = graph()
    training = {m for m in g if m == "levelone.training" or m.startswith("levelone.training.")}
    assert training, "levelone.training not found"
    allowed = training | {"reports.commands.calibrate", "reports.commands.train_text"}
    offenders = sorted((m, d) for m, deps in g.items() if m not in allowed for d in deps & training)
    assert offenders == []


# Floors inside levelone (issue 20): a module imports only from its own floor or below. Ground:
# the per-person baseline, column declarations, parameters, temporal helpers, population norms,
# decoding and the FrameTable contract; then the modality packages; then the pipeline over them.
LEVELONE_FLOORS = {
    "baseline": 0, "columns": 0, "params": 0, "temporal": 0, "affectnorms": 0, "media": 0, "frametable": 0,
    "face": 1, "body": 1, "audio": 1, "language": 1,
    "pipeline": 2,
}
# The one exception: the FrameTable schema collects the producers' COLUMNS, imported lazily inside
# frametable.schema() (the producers import nothing of frametable, so there is no cycle).
SCHEMA_FUNCTION = ("levelone.frametable", "schema")


def levelone_floor(module: str) -> int | None:
    parts = module.split(".")
    return LEVELONE_FLOORS.get(parts[1]) if parts[0] == "levelone" and len(parts) > 1 else None


def imports_inside(module: str, function: str, known: set[str]) -> set[str]:
    """Project modules imported inside the top-level function ``function`` of ``module``."""
    path = package_modules()[module]
    tree = ast.parse(path.read_text(), str(path))
    body = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function)
    one = ast.Module(body=[body], type_ignores=[])
    found: set[str] = set()
    for node in ast.walk(one):
        if isinstance(node, ast.ImportFrom) and node.module:
            for name in [f"{node.module}.{a.name}" for a in node.names] + [node.module]:
                while name and name not in known:
                    name = name.rpartition(".")[0]
                if name:
                    found.add(name)
    return found


def upward_inside_levelone(g: dict[str, set[str]], exempt: set[tuple[str, str]]) -> list[tuple[str, str]]:
    return sorted((m, d) for m, deps in g.items() for d in deps
                  if (m, d) not in exempt and levelone_floor(m) is not None and levelone_floor(d) is not None
                  and levelone_floor(d) > levelone_floor(m))


def test_no_upward_import_inside_levelone():
    """baseline/columns/params/temporal/media < face/body/audio/language < pipeline: no arrow points
    up a floor, except the schema's lazy import of the producers."""
    g = graph()
    module, function = SCHEMA_FUNCTION
    lazy = imports_inside(module, function, set(g))
    assert {"levelone.face.cues", "levelone.pipeline.vision"} <= lazy  # the exception is what it says
    exempt = {(module, d) for d in lazy}
    assert upward_inside_levelone(g, exempt) == []
    # every levelone package has a floor, so a new one must be placed
    unplaced = {m.split(".")[1] for m in g if m.startswith("levelone.") and levelone_floor(m) is None}
    assert unplaced <= {"training", "democorpus"}, unplaced
    # and the check sees a planted upward arrow
    assert upward_inside_levelone({**g, "levelone.temporal": g["levelone.temporal"] | {"levelone.face.cues"}},
                                  exempt) == [("levelone.temporal", "levelone.face.cues")]
