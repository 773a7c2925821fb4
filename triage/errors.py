"""One exception tree for everything triage reports to a user.

Every error a user can cause (bad input, bad config, a refused command, a name that does not
exist) is a ``TriageError``; the CLI prints its message on one line and exits with the class's
``exit_code``:

- 1: findings (verification, quarantine) and anything else not listed here;
- 2: setup problems and malformed values (``ConfigError``, ``WorkspaceError``, ``InputError``, ...);
- 3: a refused command (``CommandRejected``, ``Conflict``): nothing was written;
- 4: the alert or incident named does not exist (``NotFound``).
"""

from __future__ import annotations


class TriageError(Exception):
    """Base of every error triage reports to its user."""

    exit_code = 1


class ConfigError(TriageError):
    """A configuration file or option is wrong; the message names the file, field and fix."""

    exit_code = 2


class PlaybookError(TriageError):
    """One or more playbooks failed to load; ``problems`` holds ``file:line: field: message``."""

    exit_code = 2

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class ScenarioError(TriageError):
    """A tabletop scenario failed to load; ``problems`` holds ``file:line: field: message``."""

    exit_code = 2

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class WorkspaceError(TriageError):
    """The workspace file is missing, not a triage workspace, or unusable."""

    exit_code = 2


class WorkspaceBusy(WorkspaceError):
    """Other writers held the workspace for longer than we were willing to wait."""


class CommandRejected(TriageError):
    """A command failed validation; nothing was written."""

    exit_code = 3


class NotFound(TriageError):
    """The alert or incident a command or query names does not exist; nothing was written.

    Not a refused command: the command may be valid, its target is missing."""

    exit_code = 4


class Conflict(CommandRejected):
    """The target changed since the caller last looked (optimistic concurrency)."""


class ArgumentError(TriageError):
    """A command-line value is malformed; the message names it and the form expected."""

    exit_code = 2


class QuerySyntaxError(ArgumentError):
    """A search query (``triage.query``) that cannot be read: ``column`` (1-based) is where in
    the text the problem is, ``reason`` what it is."""

    def __init__(self, text: str, column: int, reason: str) -> None:
        super().__init__(f"query, column {column}: {reason}")
        self.text = text
        self.column = column
        self.reason = reason


class InputError(TriageError):
    """Input that cannot be read at all (a missing file, an unreadable stream)."""

    exit_code = 2


class MappingError(TriageError):
    """A document cannot be turned into an alert; it is quarantined with this reason."""


class SigningError(TriageError):
    """The anchoring key is missing, unreadable or does not match."""

    exit_code = 2


class SourceError(TriageError):
    """A search server refused what polling asked (credentials, a missing index, a bad query);
    retrying will not help until someone fixes it. ``status`` is the HTTP status the server
    answered with, when it answered."""

    exit_code = 2

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class SourceUnavailable(SourceError):
    """A search server is down, restarting, overloaded or slow; worth retrying with backoff."""
