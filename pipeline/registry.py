"""Small named registries for swappable parts (extractors, filters, ...).

A component is chosen by name in config (``extractor = "spacy"``) plus
keyword arguments. An unknown name fails with the list of known names.
"""

from __future__ import annotations

from typing import Callable, Generic, Iterator, TypeVar

from pipeline.errors import UnknownComponentError

T = TypeVar("T")


class Registry(Generic[T]):
    """Map names to factories for one kind of component."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Callable[..., T]] = {}

    def register(self, name: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Decorator: ``@extractors.register("spacy")``."""

        def add(factory: Callable[..., T]) -> Callable[..., T]:
            if name in self._entries:
                raise ValueError(f"{self.kind} {name!r} is already registered")
            self._entries[name] = factory
            return factory

        return add

    def get(self, name: str) -> Callable[..., T]:
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownComponentError(self.kind, name, sorted(self._entries)) from None

    def make(self, name: str, **kwargs) -> T:
        """Instantiate the component called ``name`` with ``kwargs``."""
        return self.get(name)(**kwargs)

    def names(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
