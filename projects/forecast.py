"""Monte Carlo forecast of when a number of tickets will be finished, from a history of
daily throughput (tickets finished per calendar day). Pure: no database.

Each trial walks forward day by day from tomorrow, drawing each day's throughput at random
(with replacement) from the history, until the tickets are done; the number of days it
took is the trial's answer. Many trials give a distribution: the 50 % date is the day by
which half the trials were done, the 85 % date the day by which 85 % were. A seeded
generator makes the same inputs give the same answer. numpy does the trials when it is
installed (it comes with mlflow); a pure-Python loop does them otherwise."""

import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

try:  # pragma: no cover - the branch taken depends on the environment
    import numpy
except ImportError:  # pragma: no cover
    numpy = None

DEFAULT_TRIALS = 10_000
MIN_TRIALS = 10_000
DEFAULT_SEED = 20_260_101
# Past this many days a trial stops: the work is as good as never done.
MAX_DAYS = 3_650
# Less history than this and the forecast refuses: too few days, or too few finished tickets.
MIN_HISTORY_DAYS = 14
MIN_FINISHED = 5


class ForecastRefused(Exception):
    """Too little history to forecast from; the message says what is missing."""


@dataclass(frozen=True)
class Simulation:
    remaining: int
    trials: int
    seed: int
    engine: str
    days: tuple[int, ...]  # each trial's number of days, sorted

    def percentile_days(self, share: float) -> int:
        """The smallest number of days by which at least `share` of the trials were done."""
        index = max(math.ceil(share * len(self.days)) - 1, 0)
        return self.days[index]

    def histogram(self) -> list[tuple[int, int]]:
        """(days, trials done on that day), in order of days."""
        return sorted(Counter(self.days).items())


def check_history(daily_throughput: Sequence[int]) -> None:
    days, finished = len(daily_throughput), sum(daily_throughput)
    if days < MIN_HISTORY_DAYS or finished < MIN_FINISHED:
        raise ForecastRefused(
            f"Too little history to forecast: {finished} tickets finished over {days} days. The forecast needs at "
            f"least {MIN_FINISHED} finished tickets over at least {MIN_HISTORY_DAYS} days."
        )


def _numpy_days(history: Sequence[int], remaining: int, trials: int, seed: int) -> list[int]:
    rng = numpy.random.default_rng(seed)
    samples = numpy.asarray(history, dtype=numpy.int64)
    mean = float(samples.mean())
    # Days drawn per round: enough that most trials finish in the first round.
    chunk = int(min(max(math.ceil(remaining / mean * 1.5) + 8, 16), 256))
    result = numpy.full(trials, MAX_DAYS, dtype=numpy.int64)
    done_so_far = numpy.zeros(trials, dtype=numpy.int64)
    open_trials = numpy.arange(trials)
    day = 0
    while open_trials.size and day < MAX_DAYS:
        draws = rng.choice(samples, size=(open_trials.size, chunk))
        totals = done_so_far[open_trials, None] + draws.cumsum(axis=1)
        reached = totals >= remaining
        finished = reached.any(axis=1)
        result[open_trials[finished]] = day + reached[finished].argmax(axis=1) + 1
        done_so_far[open_trials] = totals[:, -1]
        open_trials = open_trials[~finished]
        day += chunk
    return numpy.minimum(result, MAX_DAYS).tolist()


def _python_days(history: Sequence[int], remaining: int, trials: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    samples = list(history)
    out = []
    for _ in range(trials):
        done = day = 0
        while done < remaining and day < MAX_DAYS:
            done += rng.choice(samples)
            day += 1
        out.append(day)
    return out


def simulate(
    daily_throughput: Sequence[int],
    remaining: int,
    *,
    trials: int = DEFAULT_TRIALS,
    seed: int = DEFAULT_SEED,
    engine: str | None = None,
) -> Simulation:
    """Run `trials` trials of finishing `remaining` tickets at the history's daily rates.
    Refuses (ForecastRefused) with too little history. `engine`: "numpy" or "python"
    (default: numpy when installed)."""
    check_history(daily_throughput)
    if remaining < 0:
        raise ValueError("remaining must be 0 or more")
    per_day = sum(daily_throughput) / len(daily_throughput)
    if remaining / per_day > MAX_DAYS:
        raise ForecastRefused(
            f"At the pace of the last {len(daily_throughput)} days ({per_day:.2f} tickets a day), {remaining} tickets "
            f"would take more than {MAX_DAYS // 365} years: no forecast."
        )
    engine = engine or ("numpy" if numpy is not None else "python")
    if remaining == 0:
        days = [0] * trials
    elif engine == "numpy":
        if numpy is None:
            raise ValueError("numpy is not installed")
        days = _numpy_days(daily_throughput, remaining, trials, seed)
    else:
        days = _python_days(daily_throughput, remaining, trials, seed)
    return Simulation(remaining=remaining, trials=trials, seed=seed, engine=engine, days=tuple(sorted(days)))
