"""What a level-one run produced: FrameTable paths, one line per failure, and counts."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Failure:
    path: str
    problem: str

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


@dataclass
class ExtractResult:
    """What a run produced: FrameTable paths by video id, failures, and stage-1 counts."""

    tables: dict[str, Path] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    computed: int = 0
    cached: int = 0
    assembled: int = 0
    up_to_date: int = 0
    worker_restarts: int = 0  # process pools rebuilt after a worker died
    compute_s: float = 0.0
    video_s: dict[str, float] = field(default_factory=dict)  # stage-1 seconds of each computed video
    worker_processes: int = 0  # Ray: distinct worker processes that computed videos
    cold_starts: int = 0  # Ray: videos that began in a process without loaded vision models
    engine: str = "pool"
    wall_s: float = 0.0
    cache_dir: Path | None = None
    out: Path | None = None

    @property
    def paths(self) -> list[Path]:
        return list(self.tables.values())

    def to_json(self) -> dict:
        return {"tables": {k: str(v) for k, v in self.tables.items()},
                "failures": [asdict(f) for f in self.failures],
                "computed": self.computed, "cached": self.cached, "assembled": self.assembled,
                "up_to_date": self.up_to_date,
                "worker_restarts": self.worker_restarts, "compute_s": round(self.compute_s, 3),
                "video_s": dict(self.video_s), "engine": self.engine,
                "worker_processes": self.worker_processes, "cold_starts": self.cold_starts,
                "wall_s": round(self.wall_s, 3), "cache_dir": str(self.cache_dir), "out": str(self.out)}


def progress_bar(total: int, enabled: bool, desc: str, unit: str = "video"):
    """A tqdm bar on stderr (disabled: a no-op), closed by the caller."""
    from tqdm import tqdm
    return tqdm(total=total, disable=not enabled, desc=desc, unit=unit, leave=False)
