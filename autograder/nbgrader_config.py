"""nbgrader configuration shared by the release (``autograder/release.py``) and the grader.

Load it explicitly (``NbGraderAPI()`` without a config ignores this file), e.g.::

    from traitlets.config.loader import PyFileConfigLoader
    cfg = PyFileConfigLoader("nbgrader_config.py", path="autograder").load_config()

The course root, the gradebook URL and timeouts are set by the tool that uses it; class data
(submissions, gradebook, feedback) never lives in the repository.
"""
c = get_config()  # noqa: F821 (provided by traitlets when it executes this file)

c.CourseDirectory.course_id = "backprop-from-the-ground-up"

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
