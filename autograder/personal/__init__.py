"""Personalised assignments: every student works their own numbers and is graded against their own reference.

How a notebook gets its numbers: the student kit's :mod:`course.personal` derives them, with no secret, from
the student id and a *personal code* typed once into the notebook's ``personal`` cell; the instructor makes
each code from the course secret (HMAC-SHA256) and so reproduces every student's numbers at any time.

* :mod:`.secret` -- the course secret (class data, created on first need), codes, the roster;
* :mod:`.cases` -- ``personal_cases("fn")`` placeholders: the example's literal in the committed release, each
  student's literal in their instructor version;
* :mod:`.versions` -- one instructor version per student: a copy of the template gradebook with that
  student's hidden-test source, cached by content hash;
* :mod:`.review` -- after grading, outside the kernel: flags (typed id, code, example numbers) and copies
  (a result that reproduces a classmate's reference values);
* :mod:`.grading` -- the hooks ``grade`` and ``preflight`` call; :mod:`.roster` -- ``release --roster``;
  :mod:`.answers` -- ``python -m autograder answers``.
"""
