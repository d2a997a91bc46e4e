"""IRI minting: stable, valid IRIs from ids and arbitrary predicate strings.

Ids (entity, document, edge) are hashes minted upstream; they are
percent-encoded defensively so a surprising id can never break an IRI.

Predicates are open text in any language. :func:`slug` turns one into an
IRI path segment that is

* readable: ``"was born in"`` -> ``wasBornIn``; Bangla stays Bangla
  (``"জন্ম নেন"`` -> ``জন্ম_নেন``), since IRIs allow non-ASCII letters;
* valid: everything outside the IRI *iunreserved* set (RFC 3987) is
  percent-encoded as UTF-8; zero-width and bidi controls are dropped so
  that look-alike predicates share one IRI;
* never empty: a predicate without letters (``"!!"``) becomes ``rel-<hash>``.

Spelling variants collapse on purpose (``"born in"``, ``"Born-In"`` and
``"bornIn"`` are one relation); each variant stays as an ``rdfs:label``.
"""

from __future__ import annotations

import hashlib
import unicodedata

from pyoxigraph import NamedNode

from kg_store.vocab import DEFAULT_BASE_IRI, Vocab

#: Longest slug kept verbatim; longer ones are cut and suffixed with a hash.
MAX_SLUG_CHARS = 80

_ASCII_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

# RFC 3987 ucschar ranges: the non-ASCII code points an IRI may hold unencoded.
_UCSCHAR = (
    (0xA0, 0xD7FF),
    (0xF900, 0xFDCF),
    (0xFDF0, 0xFFEF),
    *((plane * 0x10000, plane * 0x10000 + 0xFFFD) for plane in range(1, 14)),
    (0xE1000, 0xEFFFD),
)


def _hash(text: str, n: int = 10) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:n]


def _is_ucschar(ch: str) -> bool:
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _UCSCHAR)


def _keep_literal(ch: str) -> bool:
    """Whether ``ch`` may stand unencoded in a path segment we mint."""
    if ch in _ASCII_UNRESERVED:
        return True
    if ch.isascii() or not _is_ucschar(ch):
        return False
    cat = unicodedata.category(ch)
    # Letters, digits and combining marks (Bangla vowel signs) read well;
    # variation selectors are invisible, so they are encoded.
    return cat[0] in "LN" or (cat[0] == "M" and not 0xFE00 <= ord(ch) <= 0xFE0F)


def encode_segment(text: str) -> str:
    """Percent-encode (UTF-8) every character an IRI segment should not hold raw."""
    out = []
    for ch in text:
        if _keep_literal(ch):
            out.append(ch)
        else:
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8", "surrogatepass"))
    encoded = "".join(out)
    # "." and ".." are path navigation, not names; a final "." is lost when an
    # IRI ends a sentence, and rdflib cannot read it back from Turtle (``ex:a\.``).
    if encoded in (".", ".."):
        return encoded.replace(".", "%2E")
    return encoded[:-1] + "%2E" if encoded.endswith(".") else encoded


def _is_word_char(ch: str) -> bool:
    if ch.isascii():
        return ch.isalnum()
    return unicodedata.category(ch)[0] in "LMNS"


def _tokens(text: str) -> list[str]:
    """Split on spaces, punctuation and controls; drop format characters."""
    tokens: list[str] = []
    current: list[str] = []
    for ch in unicodedata.normalize("NFC", text):
        if unicodedata.category(ch) == "Cf":  # zero-width, bidi marks, BOM
            continue
        if _is_word_char(ch):
            current.append(ch)
        elif current:
            tokens.append("".join(current))
            current = []
    if current:
        tokens.append("".join(current))
    return tokens


def _camel(tokens: list[str]) -> str:
    parts = []
    for i, tok in enumerate(tokens):
        if tok.isupper():
            tok = tok.lower()
        parts.append(tok[0].lower() + tok[1:] if i == 0 else tok[0].upper() + tok[1:])
    return "".join(parts)


def slug(predicate: str) -> str:
    """A readable, valid IRI path segment for an arbitrary predicate string."""
    tokens = _tokens(predicate)
    if not tokens:
        return "rel-" + _hash(predicate)
    if all(tok.isascii() for tok in tokens):
        raw = _camel(tokens)
    else:
        raw = "_".join(tok.lower() for tok in tokens)
    encoded = encode_segment(raw)
    if len(encoded) <= MAX_SLUG_CHARS:
        return encoded
    # Cut on a character boundary, then add a hash so long predicates stay distinct.
    budget, cut = MAX_SLUG_CHARS - 11, []
    for ch in raw:
        piece = encode_segment(ch)
        if budget < len(piece):
            break
        budget -= len(piece)
        cut.append(piece)
    return "".join(cut) + "-" + _hash(predicate)


def _segment_or_fail(kind: str, value: str | None) -> str:
    if value is None or value == "":
        raise ValueError(f"cannot mint a {kind} IRI from an empty {kind} id (got {value!r})")
    return encode_segment(value)


def _vocab(base_iri: str | Vocab) -> Vocab:
    return base_iri if isinstance(base_iri, Vocab) else Vocab(base_iri)


def entity_iri(entity_id: str, base_iri: str | Vocab = DEFAULT_BASE_IRI) -> NamedNode:
    """``{base}entity/{entity_id}``."""
    return NamedNode(_vocab(base_iri).entity_ns + _segment_or_fail("entity", entity_id))


def relation_iri(predicate: str, base_iri: str | Vocab = DEFAULT_BASE_IRI) -> NamedNode:
    """``{base}relation/{slug(predicate)}``."""
    return NamedNode(_vocab(base_iri).relation_ns + slug(predicate))


def document_iri(doc_id: str, base_iri: str | Vocab = DEFAULT_BASE_IRI) -> NamedNode:
    """``{base}document/{doc_id}``: the document node and its named graph."""
    return NamedNode(_vocab(base_iri).document_ns + _segment_or_fail("document", doc_id))


def assertion_iri(edge_id: str, base_iri: str | Vocab = DEFAULT_BASE_IRI) -> NamedNode:
    """``{base}assertion/{edge_id}``: the provenance node of one edge."""
    return NamedNode(_vocab(base_iri).assertion_ns + _segment_or_fail("edge", edge_id))
