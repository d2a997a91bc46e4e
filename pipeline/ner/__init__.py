"""Named-entity recognition on the multilingual encoder: the tagger, its training (``kg train ner``), gold data."""
