"""Kernels started while the book builds talk over Unix sockets (``ipc`` transport), as every kernel our tools start.

Over TCP, jupyter_client picks free ports that another process can take before the kernel binds them ("Address
already in use" when the machine is busy), and ipykernel 7.4 warns "Kernel is running over TCP without
encryption" once per kernel, in the build log. Unix sockets have neither problem (CurveZMQ encryption, used
here before, silenced the warning but kept the ports). Neither myst-nb nor jupyter-cache lets the kernel
manager they create be configured, so :func:`autograder.kernels.use_ipc_kernels` makes ours nbclient's default,
in every process that starts chapter kernels (the Sphinx process: ``book_html``; the workers of
``parallel_execution``).
"""


def use_ipc_kernel_transport() -> None:
    from autograder.kernels import use_ipc_kernels

    use_ipc_kernels()
