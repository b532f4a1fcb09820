"""The error type of the ingest pipeline: a file, a line and a reason."""

from __future__ import annotations

from dataclasses import dataclass

from kb.errors import InvalidInput


@dataclass(frozen=True)
class RecordError:
    """One problem in one record file, reported as ``path:line: reason`` (``path: reason`` when line is 0: a problem
    with the file or folder itself, such as a symbolic link out of the corpus)."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "message": self.message}


class RecordInvalid(InvalidInput):
    """Raised by the parser when a file cannot be read as a record at all."""

    def __init__(self, errors: list[RecordError]):
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors
