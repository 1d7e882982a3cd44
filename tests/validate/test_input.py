"""Bad input: a finding or a clear error each, bounded in time and memory."""

from __future__ import annotations

from pathlib import Path

import pytest

from bkgen.errors import UsageError
from bkgen.validate import ValidateSettings, validate_paths
from bkgen.validate.object_schemas import SchemaStore
from tests.validate.conftest import Check, rules


def test_invalid_yaml_has_position(check: Check) -> None:
    report = check("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n")
    assert rules(report) == ["yaml"] and report.findings[0].line is not None


def test_duplicate_keys_are_found_with_line_in_strict_mode(check: Check) -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n"
    report = check(text)
    assert rules(report) == ["yaml"]
    assert "duplicate" in report.findings[0].message and report.findings[0].line == 5
    assert check(text, strict=False).findings == []


def test_tabs_binary_and_encoding(check: Check, tmp_path: Path) -> None:
    assert rules(check("apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: x\n")) == ["yaml"]
    report = check(b"\x00\x01binary\x00", name="blob.yaml")
    assert any(f.message == "binary file, not YAML" for f in report.findings)
    report = check("kind: x\n".encode("utf-16"), name="wide.yaml")
    assert any("binary" in f.message or "UTF-8" in f.message for f in report.findings)
    report = check(b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \xff}\n", name="latin.yaml")
    assert any("not UTF-8" in f.message for f in report.findings)


def test_alias_bomb_is_refused(check: Check) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    report = check("\n".join(lines) + "\n")  # unbounded, it would never return
    assert rules(report) == ["yaml"] and "alias" in report.findings[0].message


def test_oversized_file_is_a_finding_without_reading_it(check: Check, tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(100 * 1024 * 1024)  # sparse: 100 MB on paper
    report = validate_paths([big], ValidateSettings(jobs=1))
    assert [f.rule for f in report.findings] == ["input"]
    assert "larger than" in report.findings[0].message


def test_missing_path_and_url_locations_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        validate_paths([tmp_path / "nope"], ValidateSettings())
    store = SchemaStore("1.23", True, locations=("https://example.com/{{ .ResourceKind }}.json",))
    with pytest.raises(UsageError, match="offline only"):
        store.validator("example.com/v1", "Widget")
    with pytest.raises(UsageError, match="invalid Kubernetes version"):
        SchemaStore("banana", True)


def test_helm_values_files_in_a_rendered_tree_are_not_resources(tmp_path: Path) -> None:
    values = tmp_path / "rendered" / "dev" / "releases" / "bk-repo" / "values.yaml"
    values.parent.mkdir(parents=True)
    values.write_text("replicaCount: 1\n")
    assert validate_paths([tmp_path], ValidateSettings(jobs=1)).findings == []
