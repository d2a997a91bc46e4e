"""RDF vocabulary: standard namespaces, the ``kg:`` ontology, type classes.

The ``kg:`` namespace hangs off the configured base IRI
(``{base}ontology#``) so that two deployments with different bases never
mix their terms. Entity types map onto schema.org classes; where schema.org
has no class (``schema:Date`` is a datatype, not a class) a ``kg:`` class
stands in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from pyoxigraph import NamedNode

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SCHEMA = "https://schema.org/"

RDF_TYPE = NamedNode(RDF + "type")
RDF_PROPERTY = NamedNode(RDF + "Property")
RDFS_LABEL = NamedNode(RDFS + "label")
SKOS_ALT_LABEL = NamedNode(SKOS + "altLabel")

DEFAULT_BASE_IRI = "https://kg-pipeline.example.org/"

#: An entity id as it stands in an IRI path segment (what kg_store.iri mints): nothing that could end an
#: IRI or a SPARQL term, so ``/entity/{id}`` can be checked without loading the explorer.
ENTITY_SEGMENT = r"^[A-Za-z0-9._~%-]{1,200}$"

#: Terms of the ``kg:`` ontology. Anything else is a typo, not a new term.
KG_TERMS = (
    "Assertion",
    "Document",
    "Date",
    "subject",
    "predicate",
    "object",
    "document",
    "sentence",
    "start",
    "end",
    "evidence",
    "subjectStart",
    "subjectEnd",
    "objectStart",
    "objectEnd",
    "extractor",
    "confidence",
    "filterScore",
    "kept",
    "source",
    "lang",
    "text",
    "frequency",
)

#: Coarse entity type (pipeline.schema.ENTITY_TYPES) -> class. A "kg:" prefix
#: means the ontology namespace; anything else is a schema.org local name.
TYPE_CLASSES = {
    "PERSON": "Person",
    "PLACE": "Place",
    "ORGANIZATION": "Organization",
    "EVENT": "Event",
    "WORK": "CreativeWork",
    "DATE": "kg:Date",
    "QUANTITY": "QuantitativeValue",
    "LAW": "Legislation",
    "THING": "Thing",
}


class Namespace:
    """An IRI prefix; ``ns["local"]`` or ``ns.local`` mints a NamedNode."""

    def __init__(self, iri: str, terms: tuple[str, ...] | None = None) -> None:
        self.iri = iri
        self._terms = terms

    def __getitem__(self, local: str) -> NamedNode:
        if self._terms is not None and local not in self._terms:
            raise AttributeError(f"{local!r} is not a term of {self.iri} (known: {', '.join(self._terms)})")
        return NamedNode(self.iri + local)

    def __getattr__(self, local: str) -> NamedNode:
        if local.startswith("_"):
            raise AttributeError(local)
        return self[local]

    def __repr__(self) -> str:
        return f"Namespace({self.iri!r})"


@dataclass(frozen=True)
class Vocab:
    """Every namespace minted under one base IRI."""

    base_iri: str = DEFAULT_BASE_IRI
    kg: Namespace = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        base = self.base_iri if self.base_iri.endswith(("/", "#")) else self.base_iri + "/"
        object.__setattr__(self, "base_iri", base)
        object.__setattr__(self, "kg", Namespace(base + "ontology#", KG_TERMS))

    @property
    def entity_ns(self) -> str:
        return self.base_iri + "entity/"

    @property
    def relation_ns(self) -> str:
        return self.base_iri + "relation/"

    @property
    def document_ns(self) -> str:
        return self.base_iri + "document/"

    @property
    def assertion_ns(self) -> str:
        return self.base_iri + "assertion/"

    @cached_property
    def entities_graph(self) -> NamedNode:
        """The named graph holding entity and relation descriptions."""
        return NamedNode(self.base_iri + "graph/entities")

    def type_class(self, entity_type: str | None) -> NamedNode:
        """The class of a coarse entity type; unknown types are ``schema:Thing``."""
        local = TYPE_CLASSES.get((entity_type or "").upper(), "Thing")
        if local.startswith("kg:"):
            return self.kg[local[3:]]
        return NamedNode(SCHEMA + local)

    def prefixes(self) -> dict[str, str]:
        """Prefixes every query may use without declaring them."""
        return {
            "rdf": RDF,
            "rdfs": RDFS,
            "xsd": XSD,
            "skos": SKOS,
            "schema": SCHEMA,
            "kg": self.kg.iri,
            "entity": self.entity_ns,
            "rel": self.relation_ns,
            "doc": self.document_ns,
            "assertion": self.assertion_ns,
        }
