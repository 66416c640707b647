"""nbgrader configuration shared by the release (``autograder/authoring``) and the grader (``autograder/grading``).

Loaded by :func:`autograder.nbcells.nbgrader_config` (``NbGraderAPI()`` without a config ignores this
file), which adds the course id, the course root, the gradebook URL and any timeout; class data
(submissions, gradebook, feedback) never lives in the repository.
"""
c = get_config()  # noqa: F821 (provided by traitlets when it executes this file)

# The source folders hold instructor-only files next to the nbgrader notebooks: the MyST text
# source (NAME.md, with solutions) and nothing else a kernel may see. nbgrader copies every
# non-ignored file of source/NAME into the student release AND into each autograded folder
# (where the student's code runs), so they must be ignored here.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.md", ".*"]

# What a student sees in place of a solution region.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
c.ClearSolutions.enforce_metadata = True

# Per-cell timeout (seconds) when nbgrader executes a notebook; the slowest reference cell
# (training in 05_training) takes a few seconds.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True
