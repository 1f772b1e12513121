"""Decisions: the conflict detector, its codebook constraint, the xgboost baseline, BAH metrics."""
