"""The student kit for "Backprop from the ground up".

``course.data`` (data sets), ``course.widgets`` (interactive explorers that run on *your* functions,
drawn in the browser), ``course.widgets.player`` (their kernel-free players for the book), ``course.protocol``
(how the widgets call your code and check what it returns), ``course.assignments.checks`` (the
assignments' comparison helpers), ``course.plots`` (the book's static network figure) and
``course.core`` (answer-free pieces the reference package builds on: parameter keys, numerical
gradient checks, the lecture's data). This package never contains or imports the answers.
"""
