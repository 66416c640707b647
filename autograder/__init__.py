"""Instructor tooling: ``python -m autograder release | grade | preflight``.

Layout: :mod:`.nbcells` (paths, cell predicates, hidden regions, the one nbgrader config), :mod:`.cli`
(options shared by grade and preflight), :mod:`.authoring` (release: sources -> instructor and student
notebooks), :mod:`.grading` (grade a class; its :mod:`~.grading.sandbox` runs student code),
:mod:`.personal` (personal numbers per student: codes, per-student instructor versions, copies, ``answers``)
and :mod:`.synthetic` (synthetic classes for tests and benchmarks). Data: ``source/NAME/NAME.md`` (instructor
sources, + generated ``NAME.ipynb``), ``hidden_cases/NAME.py`` (seeded hidden cases),
``nbgrader_config.py``.
"""
