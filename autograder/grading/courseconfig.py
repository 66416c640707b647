"""The course folder as nbgrader's own tools expect it: ``grade`` writes ``<course>/nbgrader_config.py`` so that
nbgrader's formgrader (and its command line) open the folder with no hand-written configuration.

Start the formgrader from the course folder (README, "Grading by hand")::

    cd class && ../.venv/bin/jupyter lab        # then Nbgrader > Formgrader

The file loads the repository's ``autograder/nbgrader_config.py`` (ignore patterns, stubs, timeouts), names the
course root, id and gradebook (the URL is read from ``.autograder/gradebook-url``, a private file, so the config
itself holds no password), gives nbgrader an exchange folder that exists (no warning), and makes nbgrader's own
``generate_feedback`` write the same hidden-test-free page as ``grade`` (:mod:`.nbfeedback`).
"""
from __future__ import annotations

import os

from ..nbcells import CONFIG_FILE, COURSE_ID, REPO_ROOT

CONFIG_NAME = "nbgrader_config.py"
URL_FILE = os.path.join(".autograder", "gradebook-url")

TEMPLATE = '''"""nbgrader configuration of this course folder, written by `python -m autograder grade` on every run
(change autograder/nbgrader_config.py in the repository instead; this file is replaced).

Grade by hand here: cd {root!r} && {jupyter} lab   (then Nbgrader > Formgrader)
"""
import os
import sys

c = get_config()  # noqa: F821 (provided by traitlets)
load_subconfig({config_name!r}, path={config_dir!r})  # noqa: F821: ignore patterns, stubs, timeouts

if {repo!r} not in sys.path:  # nbgrader imports our feedback exporter and late-penalty plugin from the repository
    sys.path.insert(0, {repo!r})

c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = {course_id!r}
with open(os.path.join({root!r}, {url_file!r}), encoding="utf-8") as _f:
    c.CourseDirectory.db_url = _f.read().strip()
c.Exchange.root = {exchange!r}
c.FormgradeExtension.debug = False  # its debug panel would show the loaded config, the gradebook URL included

# nbgrader's generate_feedback would render the autograded notebook, hidden tests included: it writes our page
# instead (scores, messages and hand-graded marks; never test source), the same one `grade` writes.
c.GenerateFeedback.exporter_class = "autograder.grading.nbfeedback.SafeFeedbackExporter"

# Late submissions, as `python -m autograder grade/report --late-policy` (nbgrader autograde uses it too).
c.AssignLatePenalties.plugin_class = "autograder.grading.late.LatePenalty"
{late_lines}
'''


def write_course_config(course_root: str, db_url: str, late_policy: dict | None = None) -> str:
    """Write ``nbgrader_config.py`` (and the private gradebook-URL file) into ``course_root``; return its path."""
    root = os.path.abspath(course_root)
    os.makedirs(os.path.join(root, ".autograder"), exist_ok=True)
    url_path = os.path.join(root, URL_FILE)
    fd = os.open(url_path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(db_url + "\n")
    os.replace(url_path + ".tmp", url_path)
    exchange = os.path.join(root, ".exchange")
    os.makedirs(exchange, exist_ok=True)
    late_lines = "\n".join(f"c.LatePenalty.{k} = {v!r}" for k, v in sorted((late_policy or {}).items()))
    import sys
    jupyter = os.path.join(os.path.dirname(os.path.abspath(sys.executable)), "jupyter")
    text = TEMPLATE.format(root=root, repo=str(REPO_ROOT), config_name=CONFIG_FILE.name,
                           config_dir=str(CONFIG_FILE.parent), course_id=COURSE_ID, url_file=URL_FILE,
                           exchange=exchange, jupyter=jupyter, late_lines=late_lines)
    path = os.path.join(root, CONFIG_NAME)
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(path + ".tmp", path)
    return path
