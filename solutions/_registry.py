"""The one piece the activation and loss lookup tables share: overriding an entry's parameters."""
from __future__ import annotations


def with_params(entry, kind: str, params: dict):
    """``entry`` (a NamedTuple with ``name`` and ``params``) with some parameters overridden.

    Raises ``ValueError`` naming the entry and its parameters if a name in ``params`` is not one of them.
    """
    if not params:
        return entry
    unknown = set(params) - set(entry.params)
    if unknown:
        allowed = ", ".join(entry.params) or "none"
        raise ValueError(f"{kind} {entry.name!r} has no parameter(s) {sorted(unknown)}; its parameters: {allowed}")
    return entry._replace(params={**entry.params, **params})
