"""The project's exception hierarchy: one base, narrow subclasses per concern."""


class EcomstreamError(Exception):
    """Base of every error ecomstream raises on purpose."""


class SourceError(EcomstreamError):
    """A source could not be opened or read (missing file, unknown format...)."""


class StoreError(EcomstreamError):
    """The store could not be opened, migrated or written."""


class BusError(EcomstreamError):
    """The bus could not deliver or receive events."""


class ConfigError(EcomstreamError):
    """A setting or command-line value is invalid."""
