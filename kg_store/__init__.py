"""Everything RDF: vocabulary, IRI minting, tables -> quads, stores, the SPARQL endpoint.

Importing the package is cheap; the entry points load their modules on
first use::

    from kg_store import run_store, open_store, query, format_result, serve
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "run_store": "kg_store.api",
    "open_store": "kg_store.api",
    "query": "kg_store.api",
    "format_result": "kg_store.api",
    "serve": "kg_store.server",
    "make_server": "kg_store.server",
    "Store": "kg_store.base",
    "QueryResult": "kg_store.base",
    "store_backends": "kg_store.backends",
    "tables_to_quads": "kg_store.quads",
    "tables_to_nquads": "kg_store.quads",
    "StoreConfig": "kg_store.config",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'kg_store' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
