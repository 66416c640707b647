"""Instructor tooling: ``python -m autograder release | grade | preflight``."""
