"""What the activation and loss lookup tables share: looking an entry up by name, overriding its parameters."""
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


def lookup(name, table: dict, aliases: dict, entry_type: type, kind: str, hints: dict | None = None, **params):
    """``table[name]`` (an ``entry_type``), by name or alias (any case), or ``name`` itself if it is an entry,
    with ``params`` overridden (:func:`with_params`).

    Raises ``TypeError`` for a name that is not a str, ``ValueError`` for an unknown name (listing the known
    names and aliases, plus ``hints[key]`` where given) or an unknown parameter.
    """
    if isinstance(name, entry_type):
        entry = name
    elif not isinstance(name, str):
        raise TypeError(f"{kind} must be given by name (a str), got {type(name).__name__}")
    else:
        key = aliases.get(name.lower(), name.lower())
        if key not in table:
            hint = (hints or {}).get(key, "")
            plural = kind + ("es" if kind.endswith("s") else "s")
            raise ValueError(f"unknown {kind} {name!r}{hint}; known {plural}: {', '.join(table)}"
                             f"; aliases: {', '.join(aliases)}")
        entry = table[key]
    return with_params(entry, kind, params)
