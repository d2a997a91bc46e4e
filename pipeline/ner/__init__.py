"""Training of the project's own NER pipelines (``kg train ner``)."""
