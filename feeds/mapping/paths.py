"""Reading an item's values: dotted paths ('response.body.items'), joined paths and templates."""

from __future__ import annotations

import re
from typing import Any

from feeds.kit import text_of
from feeds.mapping.options import Spec

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
MISSING, EMPTY = object(), object()  # what `lookup` says for an absent path, or a null on the way


def lookup(node: Any, path: str, *, missing: Any = None, empty: Any = None) -> Any:
    """The value at a dotted path ('response.body.items', 'rows.0.name'); `missing` when absent,
    `empty` when the path runs into a null or "" on the way (an empty list, as some APIs say it).

    A key that itself contains dots (or a CSV column) is found first as it is.
    """
    if isinstance(node, dict) and path in node:
        return node[path]
    for part in path.split("."):
        if node is None or node == "":
            return empty
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return missing
    return node


def scalar(value: Any) -> str | None:
    """A scalar as text, '' kept for an empty string; None for null, objects and arrays."""
    text = text_of(value, booleans=True)
    return text if text or isinstance(value, str) else None


def render(spec: Spec | None, item: dict[str, Any], join_with: str) -> str:
    """A path's value, joined paths' values, or a template with {path} placeholders filled."""
    if spec is None:
        return ""
    if isinstance(spec, list):
        return join_with.join(
            v for p in spec if (v := text_of(lookup(item, p), booleans=True))
        ).strip()
    if "{" in spec:  # a template whose every placeholder is empty is empty, not its literals
        values = {
            name: text_of(lookup(item, name.strip()), booleans=True)
            for name in _PLACEHOLDER.findall(spec)
        }
        if not any(values.values()):
            return ""
        return _PLACEHOLDER.sub(lambda m: values[m.group(1)], spec).strip()
    return text_of(lookup(item, spec), booleans=True)


def columns(spec: Spec) -> list[str]:
    """The source fields (CSV columns) a spec reads."""
    if isinstance(spec, list):
        return spec
    if "{" in spec:
        return [m.strip() for m in _PLACEHOLDER.findall(spec)]
    return [spec]
