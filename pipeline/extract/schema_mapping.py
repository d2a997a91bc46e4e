"""Map open predicates onto a target schema of relation names.

Each schema name is split into words ("birthPlace" -> "birth place",
"leader_name" -> "leader name") and embedded with the sentence encoder; an
open predicate maps to the most similar name when the cosine similarity
reaches ``threshold``, else it stays open.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from pipeline.errors import ConfigError

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def relation_words(name: str) -> str:
    """'birthPlace' / 'birth_place' / 'elevationAboveTheSeaLevel_(in_metres)' -> lower-case words."""
    spaced = _CAMEL.sub(" ", name)
    return " ".join(re.findall(r"[^\W_]+", spaced)).lower()


def read_schema(path: str | Path) -> list[str]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (FileNotFoundError, UnicodeDecodeError) as err:
        raise ConfigError(f"Cannot read schema {path}: {err}. Give one relation name per line.") from None
    names = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    if not names:
        raise ConfigError(f"Schema {path} lists no relation names.")
    return names


class SchemaMapper:
    """Nearest schema relation by sentence-embedding similarity."""

    def __init__(self, names: list[str], *, threshold: float = 0.45, model_name: str = "packaged") -> None:
        from pipeline.featurize.encoders import encode_sentences

        self.names = names
        self.threshold = threshold
        self.model_name = model_name
        self._encode = encode_sentences
        self.matrix = encode_sentences([relation_words(n) for n in names], model_name=model_name)
        self._cache: dict[str, str | None] = {}

    def map(self, predicate: str) -> str | None:
        """The schema name for ``predicate``, or None when nothing is close enough."""
        if predicate not in self._cache:
            vector = self._encode([predicate], model_name=self.model_name)[0]
            scores = self.matrix @ vector
            best = int(np.argmax(scores))
            self._cache[predicate] = self.names[best] if scores[best] >= self.threshold else None
        return self._cache[predicate]
