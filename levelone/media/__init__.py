"""Media input: streaming video/audio decode, transcript readers, offline ASR."""
