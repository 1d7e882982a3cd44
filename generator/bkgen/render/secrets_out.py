"""Secrets out of one rendered release: the step between rendering and post-processing.

Declared secrets a chart put in ConfigMaps, env values or args move into Secrets
(`secrets/relocate.py`); every Secret carrying sentinels becomes an ExternalSecret and any
other Secret value is refused (`secrets/scan.py`, with `secrets/diagnose.py` naming the chart
value to declare); a literal credential left in rendered text is refused
(`secrets/literals.py`). Nothing reaches the tree or an output with a value in it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bkgen.errors import Location
from bkgen.overlay.catalog import Release
from bkgen.overlay.layers import declare_in
from bkgen.overlay.load import Environment
from bkgen.overlay.merge import Layer, merge_layers
from bkgen.render import MODE_ARGOCD_HELM, Manifest, RenderedRelease
from bkgen.secrets import chart_credentials, literals
from bkgen.secrets.diagnose import diagnose, literal_source, probe_line
from bkgen.secrets.refs import substitute
from bkgen.secrets.relocate import relocate
from bkgen.secrets.scan import (
    Diagnosis,
    Plaintext,
    SecretError,
    process,
    refuse_for_argocd,
    refuse_literal_values,
)


def secure(env: Environment, release: Release, result: RenderedRelease) -> RenderedRelease:
    """Secrets out of the tree: sentinels to ExternalSecrets, plain values refused."""
    if not result.manifests:
        return result
    refs = {**env.secret_refs, **result.secret_refs}  # templates releases carry none

    def explain(problems: Sequence[Plaintext]) -> Mapping[tuple[str, str], Diagnosis]:
        if result.replay is None or result.values is None:
            return {}
        objects = [m.body for m in result.manifests]
        merged = result.replay.merged_values(result.values)
        return diagnose(problems, objects, result.values, merged, result.replay.render)

    written = chart_credentials.swap(  # what the chart writes itself, by declared store keys
        release.name, result.manifests, release.chart_credentials, env.catalog.at(release.name)
    )
    refs = {**refs, **{r.token: r for r in release.chart_credentials.values()}}
    if release.chart_credentials and result.replay is not None and result.values is not None:
        replay, values = result.replay, result.values
        written, settled = chart_credentials.settle(
            release.name, written, lambda: replay.render(values), release.chart_credentials
        )
        if settled:
            result = dataclasses.replace(
                result,
                notes=(
                    *result.notes,
                    f"generated at random by the chart, replaced by a digest of its config: "
                    f"{', '.join(settled)}",
                ),
            )
    moved = relocate(written)  # ConfigMaps and env values carrying declared secrets
    place = declare_in(env, release)
    manifests = process(release.name, moved, refs, env.settings.secrets, explain, place)
    _refuse_literals(release, result, manifests, place, f"{env.shown(env.env_dir)}/catalog.yaml")
    return dataclasses.replace(result, manifests=manifests)


def _refuse_literals(
    release: Release,
    result: RenderedRelease,
    manifests: Sequence[Manifest],
    declare_in: str,
    catalog_file: str,
) -> None:
    """A credential the chart writes as text (a default key, a generated password): the
    error names the chart value to declare when its text is one of the chart's values."""
    if not any(literals.findings(manifests)):
        return
    merged = (
        result.replay.merged_values(result.values)
        if result.replay is not None and result.values is not None
        else None
    )
    source_of = (lambda text: literal_source(text, merged)) if merged is not None else None
    problem = literals.first_problem(release.name, manifests, source_of)
    assert problem is not None
    message, where, count, source = problem
    probe = literals.first_line_key(manifests)
    if source is None and probe is not None and merged is not None and result.replay:
        assert result.values is not None
        source = probe_line(*probe, result.values, merged, result.replay.render)
    more = f" (and {count - 1} more)" if count > 1 else ""
    if source is None and (name := chart_credentials.first_name(manifests)):
        raise SecretError(
            message + more,
            location=where,
            hint=f"no chart value writes it (the chart generates or hard-codes it): in "
            f"{catalog_file} declare {chart_credentials.declaration(release.name, name)}",
        )
    value = f"declare {source}" if source else "declare the chart value behind it"
    raise SecretError(
        message + more,
        location=where,
        hint=f"in {declare_in} {value} as "
        '{secretRef: "<store key>#<property>"} (a value the chart generates, or ships as a '
        "default, too)",
    )


@dataclasses.dataclass(frozen=True)
class ChartValues:
    """A chart release's merged values with secrets as sentinels, the secret declarations
    it carries (the env's and its own), and where each value was written."""

    values: dict[str, Any]
    refs: dict[str, Any]
    locate: Callable[[tuple[Any, ...]], Location | None]


def chart_values(env: Environment, layers: Sequence[Layer]) -> ChartValues:
    merged = merge_layers(layers)
    values, refs = substitute(merged.values, locate=merged.location)
    return ChartValues(values, {**env.secret_refs, **refs}, merged.location)


def refuse_unsafe(env: Environment, release: Release, chart: ChartValues, mode: str) -> None:
    """A release Argo CD renders is refused any secret or literal credential in its values
    (nothing here would turn them into ExternalSecrets)."""
    if mode == MODE_ARGOCD_HELM:
        where = Location(env.shown(env.env_dir))
        refuse_for_argocd(release.name, chart.values, chart.refs, where, env.name)
        refuse_literal_values(release.name, chart.values, chart.locate, where, env.name)
