"""Rasa-side code: settings, custom NLU graph components and the domain files."""
