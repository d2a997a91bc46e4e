"""Settings of the RDF store."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class StoreConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Store backend name (see kg_store.backends): "oxigraph" (embedded) or "remote".
    backend: str = "oxigraph"
    #: Namespace under which entities, relations and documents are minted.
    #: It must end with "/" or "#"; a missing "/" is added.
    base_iri: str = "https://kg-pipeline.example.org/"
    #: SPARQL endpoints for the remote backend. When only ``query_endpoint``
    #: is set and it ends in "/query", updates go to the sibling "/update".
    #: The server should answer queries over the union of its graphs (for
    #: Oxigraph: ``oxigraph serve --union-default-graph``).
    query_endpoint: str | None = None
    update_endpoint: str | None = None
    #: SPARQL 1.1 Graph Store HTTP Protocol endpoint of the remote server
    #: (Oxigraph: http://127.0.0.1:7878/store). When set, loads and graph
    #: drops go through it instead of SPARQL Update.
    graph_store_endpoint: str | None = None
    #: Bearer token sent with updates to a remote endpoint (``kg serve --update-token``).
    update_token: str | None = None
    #: Seconds before a query is abandoned; result rows returned at most.
    query_timeout_s: float = Field(default=30.0, gt=0)
    result_limit: int = Field(default=10_000, gt=0)
    #: Quads per INSERT DATA request (remote backend).
    batch_size: int = Field(default=5_000, gt=0)
    #: Also store each document's full text as ``kg:text`` (large; off by default).
    include_text: bool = False
    #: Store each assertion's evidence sentence as ``kg:evidence`` (and where in it the subject
    #: and object are), so provenance queries answer text, not offsets.
    include_evidence: bool = True

    @field_validator("base_iri")
    @classmethod
    def _base_ends_with_separator(cls, value: str) -> str:
        value = value.strip()
        if "://" not in value:
            raise ValueError(f"base_iri must be an absolute IRI such as https://example.org/kg/ (got {value!r})")
        return value if value.endswith(("/", "#")) else value + "/"
