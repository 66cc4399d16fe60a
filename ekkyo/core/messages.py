"""User-facing messages produced by the functional core, without Django.

Core modules report problems as :class:`Problem` objects whose ``message`` is
an English msgid wrapped in :func:`gettext_noop`. ``makemessages`` extracts
those msgids into the ja/en catalogues (it matches the keyword by name), and
the Django layer translates them at display time with ``gettext(message) %
params``. This keeps the core free of any Django import while every string a
user sees stays translatable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def gettext_noop(message: str) -> str:
    """Mark ``message`` for extraction; translation happens in the Django layer."""
    return message


@dataclass(frozen=True)
class Problem:
    """One problem found in user input, located as precisely as we can.

    ``row`` is the 1-based row as a spreadsheet shows it (header = row 1);
    ``column`` the column's label as written in the file; ``field`` our field
    name; ``code`` a stable machine-readable code for tests and APIs;
    ``file`` the name of the file inside an upload of several files (a
    OneRoster zip: ``users.csv``), ``None`` for a single-file upload.
    """

    code: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)
    row: int | None = None
    column: str | None = None
    field: str | None = None
    file: str | None = None

    def render(self) -> str:
        """The English message with its parameters filled in (logs, CLI)."""
        return self.message % self.params if self.params else self.message
