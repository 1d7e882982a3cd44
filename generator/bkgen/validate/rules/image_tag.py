"""Images are pinned (no `latest`, no missing tag) and come from allowed registries."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from fnmatch import fnmatch
from typing import Any

from bkgen.kube.pods import containers
from bkgen.validate.rules import Hit, RuleContext

ID = "image-tag"
SEVERITY = "error"
RATIONALE = "A floating tag makes the rendered tree say nothing about what runs."


def _tag(image: str) -> str | None:
    if "@sha256:" in image:
        return "digest"
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def check(doc: Mapping[str, Any], ctx: RuleContext) -> Iterator[Hit]:
    for path, container, _ in containers(doc):
        image = container.get("image")
        if not isinstance(image, str) or "{{" in image:
            continue
        tag = _tag(image)
        if tag is None:
            yield Hit(f"image {image!r} has no tag", (*path, "image"), "pin an exact version")
        elif tag == "latest":
            yield Hit(
                f"image {image!r} uses the floating tag 'latest'",
                (*path, "image"),
                "pin an exact version",
            )
        if ctx.allowed_registries and not any(
            fnmatch(image, pattern if "*" in pattern else f"{pattern.rstrip('/')}/*")
            for pattern in ctx.allowed_registries
        ):
            yield Hit(
                f"image {image!r} is not from an allowed registry",
                (*path, "image"),
                f"allowed: {', '.join(ctx.allowed_registries)}",
            )
