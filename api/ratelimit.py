"""In-process token-bucket rate limits: logins per address and per account, writes per token or address.

Each key (an address, an account, a token) has a bucket of ``burst`` requests that refills at ``rate`` per
minute. Buckets live in this process: with several server processes the effective limit is that many times
higher, which still stops password guessing and runaway scripts. The number of keys is capped (least
recently used keys are dropped), so a flood of forged addresses cannot exhaust memory.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from kg.config import Settings
from kg.errors import RateLimited


class TokenBucket:
    """A token bucket per key.

    Args:
        rate_per_minute: how fast a bucket refills.
        burst: how many requests a full bucket allows at once.
        max_keys: most keys remembered.
        clock: a monotonic clock in seconds (tests may pass their own).
    """

    def __init__(
        self,
        rate_per_minute: float,
        burst: int,
        *,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate_per_minute / 60.0
        self.burst = float(burst)
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, key: str) -> float:
        """Take one request from ``key``'s bucket; return 0 when allowed, else the seconds to wait."""
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (1.0 - tokens) / self.rate
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        return wait

    def check(self, key: str, what: str) -> None:
        """Take one request from ``key``'s bucket or raise :class:`RateLimited` naming ``what``."""
        wait = self.hit(key)
        if wait > 0:
            raise RateLimited(f"too many {what}; try again in {max(1, round(wait))} s", retry_after=wait)


@dataclass
class RateLimits:
    """The limiters of one application."""

    login_address: TokenBucket
    login_account: TokenBucket
    writes: TokenBucket

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimits:
        """Build the limiters the settings describe."""
        login = (settings.login_rate_per_minute, settings.login_burst)
        return cls(
            login_address=TokenBucket(*login),
            login_account=TokenBucket(*login),
            writes=TokenBucket(settings.write_rate_per_minute, settings.write_burst),
        )


__all__ = ["RateLimits", "TokenBucket"]
