"""Custom Rasa graph components: language detection, bilingual tokenizer, service resolver."""
