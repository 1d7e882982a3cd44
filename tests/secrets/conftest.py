"""Hermetic git for tests that make repositories, and the two-chart project of the
secrets tests (a db with a generated password, an app reading an existing Secret)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.charts.factory import build_chart
from tests.gitops.conftest import git_identity

__all__ = ["ENV", "git_identity", "project"]

# An environment whose declared secrets become ExternalSecrets of the store `bkce7`.
ENV = (
    'kubeVersion: "1.23"\nsuites: [base]\ngit: {repoURL: https://git.example.com/d.git}\n'
    "secrets:\n  backend: external-secrets\n  store: {kind: ClusterSecretStore, name: bkce7}\n"
)


@pytest.fixture
def project(make_project: Callable[..., Path]) -> Path:
    root = make_project(
        {
            "overlays/dev/env.yaml": ENV,
            "overlays/base/releases/app-values.yaml.j2": "existingSecret: app-credentials\n",
        }
    )
    charts = root / "overlays/dev/charts"
    build_chart(charts, "db", "1.0.0", statefulset=True)
    build_chart(charts, "app", "2.0.0")
    return root
