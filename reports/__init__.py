"""What people read: the clinician report, figures, explanation-vs-annotator comparison, the CLI."""
