"""Training and calibration: research code apart from what ``analyze`` runs (runtime modules never import it)."""
