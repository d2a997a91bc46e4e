"""Errors that say what went wrong, the likely cause, and the fix.

Codes (``[KG###]``) are stable so users can search for them.
"""

from __future__ import annotations


class KGError(Exception):
    """Base class of every error kg-pipeline raises on purpose."""

    code = "KG000"

    def __init__(self, message: str) -> None:
        super().__init__(f"[{self.code}] {message}")


class ConfigError(KGError):
    code = "KG001"


class UnknownComponentError(ConfigError):
    code = "KG002"

    def __init__(self, kind: str, name: str, available: list[str]) -> None:
        self.kind, self.name, self.available = kind, name, available
        super().__init__(f"Unknown {kind} {name!r}. Available: {', '.join(available) or '(none)'}.")


class SourceError(KGError):
    """One input (file, line, row) could not be read. The run goes on."""

    code = "KG010"

    def __init__(self, source: str, reason: str) -> None:
        self.source, self.reason = source, reason
        super().__init__(f"{source}: {reason}")


class InputError(KGError):
    """A named input (file or folder) is missing or unreadable. Nothing is read or removed."""

    code = "KG011"

    def __init__(self, path: str, reason: str) -> None:
        self.path, self.reason = path, reason
        super().__init__(f"Input {path} {reason}. Nothing was read or removed; fix the path and re-run.")


class ModelNotFoundError(KGError):
    code = "KG020"


class StoreError(KGError):
    code = "KG030"


class QueryError(StoreError):
    code = "KG031"


class WorkspaceError(KGError):
    code = "KG040"


class RemovalRefusedError(WorkspaceError):
    """A build would remove more of the graph's documents than ``[build] max_removal_share`` allows."""

    code = "KG041"


class WorkspaceBusyError(WorkspaceError):
    """Another build holds the workspace lock."""

    code = "KG042"


class EndpointError(KGError):
    """A remote service (SPARQL server, LLM endpoint) failed or is unreachable."""

    code = "KG050"
