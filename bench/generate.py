"""Generate N mixed, valid Kubernetes resources for the validation benchmark.

Deterministic (seeded) so figures are comparable between runs: Deployments,
Services, ConfigMaps, StatefulSets (+ headless Services), Ingresses, CronJobs,
50 documents per file, as a BlueKing rendered tree would look at scale.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

import yaml

PER_FILE = 50


def _pod(name: str, rng: random.Random) -> dict[str, Any]:
    return {
        "metadata": {"labels": {"app": name}},
        "spec": {
            "containers": [
                {
                    "name": "main",
                    "image": f"hub.bktencent.com/blueking/{name}:1.{rng.randint(0, 9)}.0",
                    "ports": [{"containerPort": 8080, "name": "http"}],
                    "resources": {
                        "requests": {"cpu": "100m", "memory": "128Mi"},
                        "limits": {"cpu": "1", "memory": "512Mi"},
                    },
                    "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}},
                    "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}},
                    "env": [{"name": f"VAR_{i}", "value": str(rng.random())} for i in range(3)],
                }
            ]
        },
    }


def resources(count: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    i = 0
    while len(out) < count:
        name = f"app-{i:06d}"
        ns = f"ns-{(i // 6) % 20:02d}"
        meta = {"name": name, "namespace": ns, "labels": {"app": name}}
        kind = i % 6
        if kind == 0:
            out.append(
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": meta,
                    "spec": {
                        "replicas": 2,
                        "selector": {"matchLabels": {"app": name}},
                        "template": _pod(name, rng),
                    },
                }
            )
        elif kind == 1:
            out.append(
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": meta,
                    "spec": {
                        "selector": {"app": f"app-{i - 1:06d}"},
                        "ports": [{"port": 80, "targetPort": "http", "name": "http"}],
                    },
                }
            )
        elif kind == 2:
            out.append(
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": meta,
                    "data": {f"k{j}": f"value {rng.random()}" for j in range(5)},
                }
            )
        elif kind == 3:
            out.append(
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": {**meta, "name": f"{name}-hl"},
                    "spec": {
                        "clusterIP": "None",
                        "selector": {"app": name},
                        "ports": [{"port": 8080, "name": "http"}],
                    },
                }
            )
            out.append(
                {
                    "apiVersion": "apps/v1",
                    "kind": "StatefulSet",
                    "metadata": meta,
                    "spec": {
                        "serviceName": f"{name}-hl",
                        "selector": {"matchLabels": {"app": name}},
                        "template": _pod(name, rng),
                    },
                }
            )
        elif kind == 4:
            out.append(
                {
                    "apiVersion": "networking.k8s.io/v1",
                    "kind": "Ingress",
                    "metadata": meta,
                    "spec": {
                        "rules": [
                            {
                                "host": f"{name}.bkce7.bktencent.com",
                                "http": {
                                    "paths": [
                                        {
                                            "path": "/",
                                            "pathType": "Prefix",
                                            "backend": {
                                                "service": {
                                                    "name": f"app-{i - 3:06d}",
                                                    "port": {"number": 80},
                                                }
                                            },
                                        }
                                    ]
                                },
                            }
                        ]
                    },
                }
            )
        else:
            out.append(
                {
                    "apiVersion": "batch/v1",
                    "kind": "CronJob",
                    "metadata": meta,
                    "spec": {
                        "schedule": "*/5 * * * *",
                        "jobTemplate": {
                            "spec": {
                                "template": {
                                    **_pod(name, rng),
                                    "spec": {
                                        **_pod(name, rng)["spec"],
                                        "restartPolicy": "OnFailure",
                                    },
                                }
                            }
                        },
                    },
                }
            )
        i += 1
    return out[:count]


def write(count: int, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    docs = resources(count)
    for start in range(0, len(docs), PER_FILE):
        text = yaml.safe_dump_all(docs[start : start + PER_FILE], sort_keys=False)
        (directory / f"part-{start // PER_FILE:05d}.yaml").write_text(text)
    return directory


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    print(write(n, Path(sys.argv[2]) if len(sys.argv) > 2 else Path(f"bench/out/{n}")))
