"""Errors shared by the arbiter, configuration and application loading."""


class HaltServer(BaseException):
    """Raised inside the arbiter to stop the master process.

    Args:
        reason: text logged as ``Reason: ...`` on shutdown.
        exit_status: process exit code (1 by default; 3 for a worker boot
            failure, 4 for an application load failure).
    """

    def __init__(self, reason: str, exit_status: int = 1) -> None:
        self.reason = reason
        self.exit_status = exit_status

    def __str__(self) -> str:
        return "<HaltServer %r %d>" % (self.reason, self.exit_status)


class ConfigError(Exception):
    """A setting value or configuration file that cannot be used."""


class AppImportError(Exception):
    """The application named on the command line could not be imported."""
