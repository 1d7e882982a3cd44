"""Small in-place edits of ruamel round-trip maps that keep key order and comments."""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap


class Unconvertible(Exception):
    """This object cannot be converted without a decision only a person can make."""


def insert_before(node: CommentedMap, before: str, key: str, value: Any) -> None:
    """Insert `key` just before `before` (at the end when `before` is absent)."""
    keys = list(node.keys())
    node.insert(keys.index(before) if before in keys else len(keys), key, value)


def insert_after(node: CommentedMap, after: str, key: str, value: Any) -> None:
    keys = list(node.keys())
    node.insert(keys.index(after) + 1 if after in keys else len(keys), key, value)


def rename(node: CommentedMap, old: str, new: str) -> None:
    """Rename a key in place; its value and the comment after it move along."""
    keys = list(node.keys())
    index = keys.index(old)
    comment = node.ca.items.pop(old, None)
    value = node.pop(old)
    node.insert(index, new, value)
    if comment is not None:
        node.ca.items[new] = comment


def mapping(**items: Any) -> CommentedMap:
    out = CommentedMap()
    for key, value in items.items():
        out[key] = value
    return out


def is_masked(value: Any) -> bool:
    """A template expression (`{{X}}`) stands here; its type is unknown until render."""
    return isinstance(value, str) and value.startswith("_bk") and value.rstrip("_")[3:].isdigit()
