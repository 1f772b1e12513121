"""Face: mesh-geometry signals, head pose, facial expression affect and the facial cues."""
