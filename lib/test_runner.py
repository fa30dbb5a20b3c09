"""``manage.py test`` runs the suite ``bin/test`` runs: pytest, from the repository's root.

Django's own runner looks for unittest classes; the suite is pytest functions, so it
found none and said OK: a false pass. ``TEST_RUNNER`` points here instead. The test
labels go to pytest as they are (paths, ``path::test``; a dotted module such as
``tests.lib.test_pipes`` is turned into its path), and so does everything after ``--``
(``manage.py test -- -q --lf``). ``-k``, ``-m`` and ``-x`` are pytest's. The exit
status is non-zero whenever pytest's is: failures, errors, and no test selected alike.
"""

from __future__ import annotations

import os
from argparse import ArgumentParser
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

NO_PYTEST = "pytest is not installed here (it is in requirements-dev.txt): run the tests with bin/test"


class PytestRunner:
    def __init__(
        self, *, verbosity: int = 1, keyword: str | None = None, markexpr: str | None = None, failfast: bool = False,
        **options: Any,
    ):
        self.verbosity = verbosity
        self.keyword = keyword
        self.markexpr = markexpr
        self.failfast = failfast

    @classmethod
    def add_arguments(cls, parser: ArgumentParser) -> None:
        parser.add_argument("-k", dest="keyword", metavar="EXPRESSION", help="pytest's -k: only tests whose names match")
        parser.add_argument("-m", dest="markexpr", metavar="MARKEXPR", help="pytest's -m, e.g. 'not slow'")
        parser.add_argument("-x", "--failfast", action="store_true", help="stop at the first failure")

    def pytest_args(self, test_labels: Sequence[str]) -> list[str]:
        args = {0: ["-q"], 1: [], 2: ["-v"]}.get(self.verbosity, ["-vv"])
        if self.keyword is not None:
            args += ["-k", self.keyword]
        if self.markexpr is not None:
            args += ["-m", self.markexpr]
        if self.failfast:
            args.append("-x")
        return args + [as_path(label) for label in test_labels]

    def run_tests(self, test_labels: Sequence[str], **kwargs: Any) -> int:
        """pytest's exit status: 0 only when tests ran and passed."""
        try:
            import pytest
        except ImportError:
            raise CommandError(NO_PYTEST) from None
        # bin/test runs from the root: relative paths, testpaths and pyproject.toml alike.
        os.chdir(settings.BASE_DIR)
        return int(pytest.main(self.pytest_args(test_labels)))


def as_path(label: str) -> str:
    """``tests.lib.test_pipes`` -> ``tests/lib/test_pipes.py`` when that file (or folder)
    exists; any other label (a path, a node id, an option after ``--``) as given."""
    if label.startswith("-") or "/" in label or "::" in label:
        return label
    base = Path(settings.BASE_DIR, *label.split("."))
    for candidate in (base.with_suffix(".py"), base):
        if candidate.exists():
            return str(candidate.relative_to(settings.BASE_DIR))
    return label
