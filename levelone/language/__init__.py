"""Language: the lexicon, language cues, text affect (valence and stance) and its training."""
