"""Hermetic git for tests that make repositories."""

from tests.gitops.conftest import git_identity

__all__ = ["git_identity"]
