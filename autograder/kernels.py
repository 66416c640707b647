"""How our tools start Jupyter kernels: over Unix sockets (``ipc`` transport) in a private folder per kernel.

Over TCP (jupyter_client's default) the manager picks five free ports, closes them and writes them into the
connection file; the kernel binds them a moment later. Another process can take a port in between ("Address
already in use", seen under load), and ipykernel 7 logs "Kernel is running over TCP without encryption" for
every such kernel. Over ``ipc`` there are no ports to lose and nothing travels over the network, so both go.
(jupyter_client supports the transport, ``KernelManager.transport = "ipc"``, but its default socket path is
the relative ``kernel-ipc``, which the kernel and its client resolve against their own working directories:
each kernel here gets an absolute path in a folder of its own, mode 0700, removed with the kernel.)

* :class:`IpcKernelManager` / :class:`AsyncIpcKernelManager` -- jupyter_client's managers with that default;
  pass one where a library accepts a manager (``NotebookClient(nb, km=...)``, ``kernel_manager_class=...``);
* :func:`start_ipc_kernel` -- jupyter_client's ``start_new_kernel`` with it;
* :func:`ipc_config` -- the same for a tool configured by traitlets config (nbgrader's Validator);
* :func:`use_ipc_kernels` -- for libraries that let nothing configure the manager they create (myst-nb and
  jupyter-cache through nbclient, nbval): makes ours their default, in this process.

The grading sandbox chooses its own socket folder (``autograder/grading/sandbox/kernels.py``), readable by the
grading user only.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import weakref

from jupyter_client.manager import AsyncKernelManager, KernelManager
from traitlets import CaselessStrEnum, default

#: a Unix socket path has at most 107 bytes on Linux (103 on macOS); jupyter_client appends "-N" to the
#: path we give it (``<folder>/kernel-1`` ...): keep the folder well short of that
MAX_FOLDER_BYTES = 80


def socket_folder(prefix: str = "kernel-") -> str:
    """A new private folder (mode 0700, owned by the current user) for a kernel's sockets, short enough for a
    Unix socket path: in the temp folder, or in ``/tmp`` when ``TMPDIR`` (or ``tempfile.tempdir``: a pytest
    ``tmp_path``, a clone's build folder) is too long for one."""
    folder = tempfile.mkdtemp(prefix=prefix)
    if len(os.fsencode(folder)) > MAX_FOLDER_BYTES:
        os.rmdir(folder)
        folder = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    return folder


class IpcKernelManager(KernelManager):
    """jupyter_client's ``KernelManager``, over Unix sockets in a private folder removed with the kernel."""

    transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

    @default("ip")
    def _private_socket_path(self) -> str:
        if self.transport != "ipc":
            return super()._ip_default()
        folder = socket_folder()
        # removed at shutdown, else when the manager is collected or the interpreter exits
        self._remove_socket_folder = weakref.finalize(self, shutil.rmtree, folder, True)
        return os.path.join(folder, "kernel")

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        remove = getattr(self, "_remove_socket_folder", None)
        if remove is not None and not restart:   # a restarted kernel binds the same paths again
            remove()


class AsyncIpcKernelManager(IpcKernelManager, AsyncKernelManager):
    """jupyter_client's ``AsyncKernelManager`` (nbclient's default), over Unix sockets in a private folder."""


def start_ipc_kernel(startup_timeout: float = 60, kernel_name: str = "python3", **kwargs):
    """jupyter_client's ``start_new_kernel`` over Unix sockets: a started kernel's manager and ready client."""
    km = IpcKernelManager(kernel_name=kernel_name)
    km.start_kernel(**kwargs)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=startup_timeout)
    except RuntimeError:
        kc.stop_channels()
        km.shutdown_kernel()
        raise
    return km, kc


@contextlib.contextmanager
def ipc_config(config):
    """Within the block, kernel managers made from traitlets ``config`` (modified in place) talk over Unix
    sockets in one private folder (for tools that start one kernel at a time, such as nbgrader's Validator,
    which always makes jupyter_client's own ``AsyncKernelManager``); the folder is removed afterwards."""
    folder = socket_folder()
    try:
        config.KernelManager.transport = "ipc"
        config.KernelManager.ip = os.path.join(folder, "kernel")
        yield config
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def use_ipc_kernels() -> None:
    """Kernels that nbclient's ``NotebookClient`` (myst-nb, jupyter-cache) or nbval start in this process use
    :class:`AsyncIpcKernelManager` / :class:`IpcKernelManager`.

    Neither lets its caller configure the manager it creates: ``NotebookClient.kernel_manager_class`` is
    configurable, but myst-nb and jupyter-cache pass no configuration, and nbval makes a plain
    ``KernelManager``. So the default itself is changed: the ``NotebookClient`` trait's default (what its
    ``@default`` method returns) and the manager class nbval's kernel module uses.
    """
    from nbclient import NotebookClient

    NotebookClient._kernel_manager_class_default = lambda self: AsyncIpcKernelManager
    try:
        import nbval.kernel
    except ImportError:
        return
    nbval.kernel.KernelManager = IpcKernelManager
