"""The pipeline: vision pass, per-person baseline, assembly into FrameTables, cache, extraction."""
