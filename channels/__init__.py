"""Channel adapters: the web chat widget and Telegram, as Rasa custom input channels."""
