"""The extractor contract and its registry.

An extractor turns a batch of documents into mention and relation rows
(:data:`~pipeline.schema.MENTIONS`, :data:`~pipeline.schema.RELATIONS`).
It is chosen per language by name (``extract.extractors``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Iterable

from pipeline.registry import Registry


@dataclass
class Extraction:
    """Rows found in one document."""

    doc_id: str
    mentions: list[dict] = field(default_factory=list)
    relations: list[dict] = field(default_factory=list)
    #: Why the extractor failed on this document (an unreachable endpoint, a rejected reply);
    #: a failed document is retried by the next build instead of being remembered as done.
    error: str | None = None
    #: ``[start, end)`` of each sentence, by sentence index (kept in memory for the relation model, not stored).
    sentences: list[tuple[int, int]] = field(default_factory=list)
    # Ids of the mentions and keys of the relations above: a scan per addition made long documents quadratic.
    _mention_ids: set = field(default_factory=set, init=False, repr=False, compare=False)
    _relation_keys: set = field(default_factory=set, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._mention_ids.update(m["mention_id"] for m in self.mentions)
        self._relation_keys.update((r["subject_mention"], r["predicate"], r["object_mention"]) for r in self.relations)

    def add_mention(self, *, sentence: int, start: int, end: int, text: str, label: str, lang: str,
                    extractor: str, confidence: float, surface: str | None = None) -> str:
        """Add a mention once per span and return its id.

        ``text`` is the canonical form ("বাংলাদেশ"), ``surface`` the text at ``[start, end)``
        as written ("বাংলাদেশের"); it defaults to ``text``.
        """
        mention_id = f"{self.doc_id}:{start}-{end}"
        if mention_id not in self._mention_ids:
            self._mention_ids.add(mention_id)
            self.mentions.append(
                {"mention_id": mention_id, "doc_id": self.doc_id, "sentence": sentence, "start": start, "end": end,
                 "text": text, "surface": text if surface is None else surface, "label": label, "lang": lang,
                 "extractor": extractor, "confidence": confidence}
            )
        return mention_id

    def add_relation(self, *, subject: str, predicate: str, obj: str, sentence: int, start: int, end: int,
                     extractor: str, confidence: float) -> None:
        if subject == obj or not predicate:
            return
        key = (subject, predicate, obj)
        if key in self._relation_keys:
            return
        self._relation_keys.add(key)
        self.relations.append(
            {"doc_id": self.doc_id, "sentence": sentence, "subject_mention": subject, "predicate": predicate,
             "object_mention": obj, "start": start, "end": end, "extractor": extractor, "confidence": confidence}
        )


class Extractor(ABC):
    """Finds entity mentions and relations in documents of one language."""

    name: str = "base"

    @abstractmethod
    def extract(self, documents: Iterable[dict]) -> Iterable[Extraction]:
        """Yield one :class:`Extraction` per document (rows of DOCUMENTS as dicts)."""


#: Extractors by name: ``extractors.make("spacy", lang="en", ...)``.
extractors: Registry[Extractor] = Registry("extractor")
