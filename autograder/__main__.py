"""``python -m autograder COMMAND ...``: release student versions, preflight the grader, grade a class, publish."""
from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "release": ("autograder.authoring.release", "validate the sources and regenerate course/assignments/"),
    "preflight": ("autograder.grading.preflight", "check that this environment grades the reference full and a blank zero"),
    "grade": ("autograder.grading.grade", "grade a folder of submissions: gradebook, feedback, CSV, summary"),
    "report": ("autograder.grading.refresh", "rewrite CSV, summary and feedback from the gradebook (hand scores)"),
    "export": ("autograder.grading.export", "grades back to the LMS: Canvas or Moodle import CSV, or a wide CSV"),
    "worker": ("autograder.grading.remote", "grade for a `grade --cluster URL` coordinator on this machine"),
    "answers": ("autograder.personal.answers", "print one student's personal code, numbers and reference values"),
    "publish": ("autograder.publish", "write the student edition (book, course kit, released notebooks; no answers)"),
}

#: commands that run grading workers: in their process Ctrl-C is handled once, for good (grading/pool.py)
STOP_CLEANLY = ("grade", "preflight")


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        lines = "\n".join(f"  {name:<10s} {help_}" for name, (_, help_) in COMMANDS.items())
        msg = f"usage: python -m autograder COMMAND [options]\n\ncommands:\n{lines}\n"
        if argv and argv[0] not in ("-h", "--help"):
            sys.stderr.write(f"error: unknown command {argv[0]!r}\n{msg}")
            return 2
        sys.stdout.write(msg)
        return 0 if argv else 2
    if argv[0] in STOP_CLEANLY:  # the first Ctrl-C stops the workers and kernels, later ones are ignored
        from .grading.pool import stop_cleanly_on_ctrl_c
        stop_cleanly_on_ctrl_c()
    try:
        module = importlib.import_module(COMMANDS[argv[0]][0])
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted before it started\n")
        return 130
    return int(module.main(argv[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main())
