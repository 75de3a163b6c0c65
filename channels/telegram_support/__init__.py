"""Pure helpers of the Telegram channel (``channels.telegram``): text limits, bounded state."""
