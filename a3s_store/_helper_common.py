"""Small values and pure functions that several helper modules share (internal).

The statuses of a run that ended; token usage arithmetic (a session, a run
and a loop checkpoint each keep a running total; :class:`Recorded` is what
a session recorded since its last saved generation); trace retention (a
live session and a restore both cap the trace events they keep). Kept apart
so that no helper module imports another for a private function.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import InvalidDataError
from .records import LlmCostRecord, RunStatus, TokenUsage, TraceEvent

__all__ = ["ENDED", "Recorded", "copy_usage", "retained_trace_events", "sum_usage"]

#: The statuses of a run that is over (every other one is still in progress).
ENDED = (RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED)

_U64_MAX = 2**64 - 1


def _add(a: int, b: int) -> int:
    return min(a + b, _U64_MAX)  # saturating, as Rust's counters


def _add_cache(a: int | None, b: int | None) -> int | None:
    return None if a is None and b is None else _add(a or 0, b or 0)


def copy_usage(usage: TokenUsage) -> TokenUsage:
    """A copy of ``usage`` (its unknown keys too), so later additions never alias."""
    return TokenUsage(prompt_tokens=usage.prompt_tokens,
                      completion_tokens=usage.completion_tokens,
                      total_tokens=usage.total_tokens, cache_read_tokens=usage.cache_read_tokens,
                      cache_write_tokens=usage.cache_write_tokens, extra=dict(usage.extra))


def sum_usage(a: TokenUsage, b: TokenUsage) -> TokenUsage:
    """``a + b`` field by field, saturating at the u64 range; the cache fields
    stay None only when both are None. Keeps ``a``'s unknown keys.

    >>> sum_usage(TokenUsage(prompt_tokens=1, cache_read_tokens=2),
    ...           TokenUsage(prompt_tokens=2**64)).prompt_tokens == 2**64 - 1
    True
    """
    return TokenUsage(
        prompt_tokens=_add(a.prompt_tokens, b.prompt_tokens),
        completion_tokens=_add(a.completion_tokens, b.completion_tokens),
        total_tokens=_add(a.total_tokens, b.total_tokens),
        cache_read_tokens=_add_cache(a.cache_read_tokens, b.cache_read_tokens),
        cache_write_tokens=_add_cache(a.cache_write_tokens, b.cache_write_tokens),
        extra=dict(a.extra),
    )


@dataclass(slots=True)
class Recorded:
    """Usage, cost and cost records recorded and not yet in a saved generation."""

    usage: TokenUsage | None = None
    cost: float = 0.0
    cost_records: list[LlmCostRecord] = field(default_factory=list)

    def add(self, usage: TokenUsage | None, cost: float,
            cost_records: list[LlmCostRecord]) -> None:
        """Count more (values already checked)."""
        if usage is not None:
            self.usage = sum_usage(self.usage or TokenUsage(), usage)
        self.cost += cost
        self.cost_records.extend(cost_records)

    def plus(self, later: Recorded) -> Recorded:
        """This and what was recorded ``later``, as one amount."""
        total = Recorded(self.usage, self.cost, list(self.cost_records))
        total.add(later.usage, later.cost, later.cost_records)
        return total


def retained_trace_events(events: list[TraceEvent], retention: int | None) -> list[TraceEvent]:
    """The newest ``retention`` events (all when None; none when 0).

    >>> retained_trace_events([1, 2, 3], 2), retained_trace_events([1, 2], 0)
    ([2, 3], [])
    """
    if retention is None:
        return list(events)
    if type(retention) is not int or retention < 0:
        raise InvalidDataError(f"trace_retention must be None or an int >= 0, "
                               f"got {retention!r}")
    return list(events[len(events) - retention:]) if retention else []
