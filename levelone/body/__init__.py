"""Body: MediaPipe pose signals, head-gesture dynamics, the body cues and body affect."""
