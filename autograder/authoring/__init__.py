"""Authoring: from the instructor's MyST sources to the committed notebooks (``python -m autograder release``).

* :mod:`.release` -- the command: the instructor notebooks (hidden cases embedded), the student versions,
  ``--check`` for drift, the incremental write;
* :mod:`.cases` -- loading ``autograder/hidden_cases/NAME.py`` and embedding / reading back its cases;
* :mod:`.validation` -- running the reference and the blank version through nbgrader's validator.
"""
from __future__ import annotations

from pathlib import Path

from ..nbcells import REPO_ROOT


class ReleaseError(Exception):
    """A source cannot be released; the message says which file, which cell and what is wrong."""


def shown(path) -> str:
    """``path`` as a message shows it: relative to the repository when inside it."""
    path = Path(path)
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)
