"""Reference solutions for "Backprop from the ground up": the single source of truth for every formula.

Modules: :mod:`~solutions.activations`, :mod:`~solutions.losses`, :mod:`~solutions.mlp`,
:mod:`~solutions.gradcheck`, :mod:`~solutions.perceptron`, :mod:`~solutions.xor`,
:mod:`~solutions.training`, :mod:`~solutions.optimizers`, :mod:`~solutions.regularisation`,
:mod:`~solutions.initialisation`, :mod:`~solutions.autograd`, :mod:`~solutions.layers`,
:mod:`~solutions.projections`, :mod:`~solutions.worked_examples`.
"""
