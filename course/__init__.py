"""The student kit for "Backprop from the ground up".

``course.data`` (data sets), ``course.plots`` (figures) and ``course.widgets`` (interactive
explorers that run on *your* functions). This package never contains or imports the answers.
"""
