"""``python tests/nbval_ipc.py PYTEST_ARGS...``: pytest with nbval, every notebook's kernel over Unix sockets.

Not a test module. nbval starts each notebook's kernel with a plain jupyter_client ``KernelManager``: TCP ports
that another process can take before the kernel binds them ("Address already in use" under load), and an
IPKernelApp warning per kernel. It has no option for the transport and reads no Jupyter configuration (no
``jupyter_client`` config file applies to a manager made outside a Jupyter application), so this runner makes
:class:`autograder.kernels.IpcKernelManager` nbval's manager (:func:`autograder.kernels.use_ipc_kernels`) and
runs pytest in-process. The repository root goes on this process's ``sys.path`` only: the kernels' environment
(``PYTHONPATH``) stays as the caller set it.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from autograder.kernels import use_ipc_kernels  # noqa: E402

use_ipc_kernels()

import pytest  # noqa: E402

if __name__ == "__main__":
    sys.exit(pytest.main(sys.argv[1:]))
