"""Signals: per-modality measurements, affect and codebook-cue activations on the frame axis."""
