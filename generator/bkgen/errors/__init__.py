"""The exception hierarchy: one base class, one exit code per family.

Every error a user can cause is a `BkgenError` that knows where it happened
(path, line, column) and, when we can tell, how to fix it. The CLI prints
`str(err)` as one line and exits with `err.exit_code`; nothing else in the
package decides exit codes. Validation *findings* are data, not exceptions
(see `bkgen.validate.findings`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from bkgen.errors.redact import redact

EXIT_OK = 0
EXIT_FAILURE = 1  # render / validation / git failure: the input was fine, the result is not
EXIT_USAGE = 2  # bad usage or bad input the user must fix


@dataclass(frozen=True)
class Location:
    """Where an error points: a file, optionally a line and column (both 1-based)."""

    path: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        text = self.path
        if self.line is not None:
            text += f":{self.line}"
            if self.column is not None:
                text += f":{self.column}"
        return text


def display_path(path: str | Path, root: Path | None = None) -> str:
    """A path as the user should read it: relative to `root` (or the cwd) when inside it.

    Absolute paths of this machine must never leak into output or committed files.
    """
    p = Path(path)
    # Never resolve the path itself: a symlink's target (perhaps outside the repository) must
    # not replace the name the user sees. Only the directories above it may be resolved.
    absolute = Path(os.path.abspath(p))  # noqa: PTH100 - must not follow symlinks
    candidates = (absolute, absolute.parent.resolve() / absolute.name)
    for base in (root, Path.cwd()):
        if base is None:
            continue
        for anchor in (Path(os.path.abspath(base)), base.resolve()):  # noqa: PTH100
            for candidate in candidates:
                try:
                    return candidate.relative_to(anchor).as_posix()
                except ValueError:
                    continue
    return p.as_posix()


def one_line(location: Location | None, family: str, message: str, hint: str | None) -> str:
    """`file:line: family: message (hint: …)`. Every error and warning a user sees passes
    here: credentials in URLs never reach a terminal or a CI log, whoever quoted them."""
    head = f"{location}: " if location else ""
    tail = f" (hint: {hint})" if hint else ""
    return redact(f"{head}{family}: {message}{tail}")


class BkgenError(Exception):
    """Base of every error bkgen reports to a user."""

    exit_code = EXIT_FAILURE
    family = "error"

    def __init__(
        self,
        message: str,
        *,
        location: Location | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.hint = hint

    def __str__(self) -> str:
        return one_line(self.location, self.family, self.message, self.hint)


class UsageError(BkgenError):
    """The command line itself is wrong (unknown env, bad flag combination)."""

    exit_code = EXIT_USAGE
    family = "usage error"


class OverlayError(BkgenError):
    """An overlay file is missing, malformed, or breaks its schema."""

    exit_code = EXIT_USAGE
    family = "overlay error"


class CatalogError(BkgenError):
    """The release catalog is inconsistent: unknown needs, cycles, seq contradictions."""

    exit_code = EXIT_USAGE
    family = "catalog error"


class TemplateError(BkgenError):
    """A jinja2 template failed: syntax, undefined variable, or a refused unsafe access."""

    exit_code = EXIT_USAGE
    family = "template error"


class RenderError(BkgenError):
    """A release could not be rendered into manifests (Helm failure, bad manifest)."""

    exit_code = EXIT_FAILURE
    family = "render error"


class ValidationFailed(BkgenError):
    """Validation produced findings at or above the failing severity."""

    exit_code = EXIT_FAILURE
    family = "validation failed"


class OutputError(BkgenError):
    """Writing the rendered tree failed (path escape, file-system error)."""

    exit_code = EXIT_FAILURE
    family = "output error"


class GitError(BkgenError):
    """A git operation failed."""

    exit_code = EXIT_FAILURE
    family = "git error"


@dataclass(frozen=True)
class Notice:
    """A warning about the input that does not stop the run (data, like a finding).

    Printed as `file:line: warning: message (hint: …)`, the same shape as an error, so a
    reader can click it; an environment may turn some into errors (`validation.*`).
    """

    message: str
    location: Location | None = None
    hint: str | None = None

    def __str__(self) -> str:
        return one_line(self.location, "warning", self.message, self.hint)

    def as_error(self) -> OverlayError:
        return OverlayError(self.message, location=self.location, hint=self.hint)
