"""The project's exception hierarchy: one base, narrow subclasses per concern."""


class EcomstreamError(Exception):
    """Base of every error ecomstream raises on purpose."""


class SourceError(EcomstreamError):
    """A source could not be opened or read (missing file, unknown format...)."""


class TruncatedSource(SourceError):
    """A compressed file ends in the middle of its data (a partial download, say).

    Its whole lines before the cut were handed on; the source ends after them.
    """


class StoreError(EcomstreamError):
    """The store could not be opened, migrated or written."""


class StaleCommit(StoreError):
    """A commit expected input positions that another writer has moved meanwhile.

    Nothing of the commit was applied; the writer must re-read its positions and replay.
    """


class BusError(EcomstreamError):
    """The bus could not deliver or receive events."""


class ConfigError(EcomstreamError):
    """A setting or command-line value is invalid."""
