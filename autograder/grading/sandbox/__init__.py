"""The grading kernel's cage: :mod:`.limits` (what a kernel may use), :mod:`.kernels` (starting kernels
through :mod:`.launcher`, one kept ahead), :mod:`.executor` (nbgrader's ``Execute``, hardened),
:mod:`.guard` (sent into the kernel: undoes tampering) and :mod:`.processes` (stopping and cleaning up).
"""
