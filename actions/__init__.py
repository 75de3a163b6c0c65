"""Custom actions for the rasa-sdk action server, one module per concern."""
