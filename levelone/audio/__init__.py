"""Audio: prosody signals from the waveform (pitch, energy, voicing, pauses, rate) and the audio cues."""
