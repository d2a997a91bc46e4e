"""Registration of store backends, in one place (no import-time side effects elsewhere).

``store_backends.make("oxigraph", path=...)`` or ``make("remote", query_endpoint=...)``.
Each factory imports its module lazily, so naming a backend costs nothing
until it is used.
"""

from __future__ import annotations

from kg_store.base import Store, store_backends


@store_backends.register("oxigraph")
def _oxigraph(**kwargs) -> Store:
    from kg_store.oxigraph import OxigraphStore

    return OxigraphStore(**kwargs)


@store_backends.register("remote")
def _remote(**kwargs) -> Store:
    from kg_store.remote import RemoteStore

    return RemoteStore(**kwargs)
