"""Grading a class: ``python -m autograder grade`` and ``python -m autograder preflight``.

Parent process (light, writes everything): :mod:`.grade` (the command) -> :mod:`.intake` (find the
submissions) -> :mod:`.coursedir` (the course folder, prepared assignments, gradebook templates) ->
:mod:`.preflight` -> :mod:`.pool` (N workers, a watchdog) -> :mod:`.report` (gradebook, CSV, summary,
histograms) and :mod:`.state` (what is graded, resumable). :mod:`.records` holds the dataclasses that
cross the process boundary; :mod:`.feedback` renders a student's page.

Worker processes (import nbgrader once): :mod:`.worker` (one submission, job by job), :mod:`.submission`
(reading and repairing a notebook) and :mod:`.sandbox` (how the grading kernel is started, limited,
guarded and stopped).
"""
