"""Knowledge, no media: the BAH cue vocabulary, annotations, the BAH dataset index, cue statistics."""
