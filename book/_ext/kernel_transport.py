"""Kernels started while the book builds use CurveZMQ-encrypted transport.

ipykernel 7.4 warns "Kernel is running over TCP without encryption" (once per kernel, in the build log)
unless the kernel manager provisions CurveZMQ keys, which jupyter_client 8.10 does only when its
``KernelManager.transport_encryption`` is "auto" or "required" (default: "disabled"). Neither myst-nb nor
jupyter-cache lets the kernel manager they create be configured, so the default itself is set, in every
process that starts chapter kernels (the Sphinx process: ``book_html``; the workers of
``parallel_execution``): "auto" encrypts wherever the kernelspec declares support (ipykernel's does).
"""


def use_encrypted_kernel_transport() -> None:
    from jupyter_client.manager import KernelManager

    KernelManager.class_traits()["transport_encryption"].default_value = "auto"
