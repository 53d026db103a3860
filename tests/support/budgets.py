"""How a benchmark script ends: every missed budget on a line of its own, and the exit code that says whether any
was missed."""

from __future__ import annotations

import sys


def budget_exit_code(missed: list[str]) -> int:
    """Print each missed budget ("OVER BUDGET: …", on standard error) and return 1 if there is any, else 0."""
    for line in missed:
        print(f"OVER BUDGET: {line}", file=sys.stderr)
    return 1 if missed else 0
