"""The web chat widget: static assets, the page server and its Rasa input channel."""
