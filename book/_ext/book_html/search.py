"""Placeholder (filled in next)."""


def setup(app):
    pass
