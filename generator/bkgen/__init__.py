"""bkgen: GitOps config generator and validator for containerized BlueKing 7.x."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("bkgen")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0"
