"""What the target cluster serves, as Helm's `.Capabilities` should see it.

`.Capabilities.APIVersions` of an environment: the Kubernetes built-ins of its kubeVersion
(read from the `x-kubernetes-group-version-kind` entries of the bundled schemas, so it is
exact per version), the catalog's `prerequisites` (Argo CD, Argo Workflows), the API of the
secrets backend when one is configured, and the `provides` of every *enabled* release. A
chart that guards its ServiceMonitor with `.Capabilities.APIVersions.Has
"monitoring.coreos.com/v1"` therefore renders it only where the monitor suite installs it.

Not included: CRDs a chart ships in `crds/` but the catalog does not list under `provides`
(Helm's `template` does not add those either).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from bkgen.kube.versions import bundled_dir, definitions, normalize_version
from bkgen.overlay.catalog import Catalog, Release

SECRET_BACKEND_APIS = {"external-secrets": ("external-secrets.io/v1beta1/ExternalSecret",)}


@cache
def builtin_api_versions(kube_version: str) -> tuple[str, ...]:
    """group/version and group/version/Kind of every built-in kind of `kube_version`."""
    found: set[str] = set()
    for definition in definitions(bundled_dir(normalize_version(kube_version))).values():
        for gvk in definition.get("x-kubernetes-group-version-kind", []):
            if gvk["kind"].endswith(("List", "Options")) or gvk["kind"] in ("Status", "WatchEvent"):
                continue
            group_version = f"{gvk['group']}/{gvk['version']}" if gvk["group"] else gvk["version"]
            found.update((group_version, f"{group_version}/{gvk['kind']}"))
    return tuple(sorted(found))


def _expand(gvk: str) -> tuple[str, str]:
    return gvk.rsplit("/", 1)[0], gvk


def installed_apis(
    catalog: Catalog, enabled: Iterable[Release], secrets_backend: str = ""
) -> tuple[str, ...]:
    """group/version/Kind the environment installs besides Kubernetes itself: the catalog's
    prerequisites, the secrets backend, and what every enabled release `provides`."""
    extra = list(catalog.prerequisites)
    extra += SECRET_BACKEND_APIS.get(secrets_backend, ())
    for release in enabled:
        extra += release.provides
    return tuple(sorted(set(extra)))


def api_versions(
    kube_version: str, catalog: Catalog, enabled: Iterable[Release], secrets_backend: str = ""
) -> tuple[str, ...]:
    """`.Capabilities.APIVersions`: group/version and group/version/Kind, sorted. Takes plain
    parts, not an Environment: overlay uses this module while it builds one."""
    found = set(builtin_api_versions(kube_version))
    for gvk in installed_apis(catalog, enabled, secrets_backend):
        found.update(_expand(gvk))
    return tuple(sorted(found))
