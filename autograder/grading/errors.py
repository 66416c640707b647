"""The one error grading reports without a traceback.

:class:`GradingError` means the instructor must fix something before grading can run (a missing folder, an
unusable gradebook, a roster that does not parse ...): ``python -m autograder`` prints its message on one line
and exits with code 2. It lives apart so that any grading module can raise it without importing another's
machinery (``coursedir`` re-exports it for the modules that import it from there).
"""


class GradingError(Exception):
    """A problem the instructor must fix before grading can run (printed without a traceback)."""
