"""Answer-free pieces shared by the student kit and the reference package, each written once.

* :mod:`course.core.params` -- the parameter key scheme ``W1, b1, ..., WL, bL`` and its validation.
* :mod:`course.core.numerics` -- central differences, the relative error, :class:`~course.core.numerics.GradientCheck`
  and the lectures' half squared error.
* :mod:`course.core.lecture` -- the backprop lecture's worked 2-2-1 network as data.

:mod:`solutions` imports these (its formulas build on them); the widgets import them; nothing here
computes a graded answer (``tests/test_kit_secrecy.py``).
"""
