"""A binomial proportion's 95% interval found independently of `domain/measures.py`, for the tests to check it.

The Wilson interval is every p that the score test does not reject: |p_hat - p| <= z sqrt(p (1 - p) / n).
Here each bound is found by bisection on that inequality, with z written out, not by Wilson's closed form.
"""

from __future__ import annotations

import math

Z = 1.959963984540054  # the 97.5% quantile of the standard normal distribution


def score_bounds(successes: int, trials: int) -> tuple[float, float]:
    p_hat = successes / trials

    def rejects(p: float) -> bool:
        return abs(p_hat - p) > Z * math.sqrt(p * (1 - p) / trials)

    def bisect(inside: float, outside: float) -> float:  # p_hat is never rejected; 0 and 1 are (0 < p_hat < 1)
        for _ in range(200):
            mid = (inside + outside) / 2
            if rejects(mid):
                outside = mid
            else:
                inside = mid
        return (inside + outside) / 2

    low = 0.0 if successes == 0 else bisect(p_hat, 0.0)
    high = 1.0 if successes == trials else bisect(p_hat, 1.0)
    return low, high


def percent(value: float) -> str:
    return f"{100 * value:.1f}%"
