"""The demo corpus: a small BAH-format corpus generated from real media, a test fixture (not evidence of accuracy)."""
