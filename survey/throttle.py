"""Anonymous denials (issue 12): rate-limited per client address and aggregated in the audit log.

A scanner's junk /l/<token> requests and CSRF-less posts each added an audit row and took the
audit chain's lock: 150 requests, 150 rows in 0.7 s, kept for a year. Now:
- Rows: an anonymous denial of one kind from one address is written as a row on its 1st, 10th,
  100th, ... occurrence within a minute and at the limit below, each row carrying the count so far
  ("count", "per": "ip_minute"). A logged-in user's denial is still one row each.
- Limit: past ANONYMOUS_DENIALS of them in a minute, the address's anonymous requests answer 429
  (Chinese page) before any view or database work, until the minute ends. Logged-in sessions and
  the login page are exempt, so a scanner behind a unit's shared NAT cannot lock colleagues out.
Counters live in Flask-Limiter's storage: Redis when REDIS_URL is set (shared by every worker and
host), else each worker's memory (then each worker counts on its own)."""
from __future__ import annotations

import time

from flask import Flask, current_app, g, has_request_context, request, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

# The audit events that are denials, when they have no actor.
AGGREGATED = frozenset({"csrf_failed", "link_use", "access_denied"})
ANONYMOUS_DENIALS = 60  # per address and minute
EXEMPT_ENDPOINTS = frozenset({"auth.login", "assets", "home.healthz", "healthz"})
WINDOW_S = 60


def _exempt() -> bool:
    """A logged-in session (read from the signed cookie: no database work before the view)."""
    return bool(session.get("_user_id")) or request.endpoint in EXEMPT_ENDPOINTS


def init_throttle(app: Flask) -> Limiter:
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "survey")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    # Redis unreachable: serve on, counting in memory meanwhile, rather than fail every request.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    limiter = Limiter(get_remote_address, app=app, strategy="fixed-window",
                      application_limits=[f"{ANONYMOUS_DENIALS}/minute"],
                      application_limits_exempt_when=_exempt,
                      application_limits_deduct_when=lambda response: bool(g.get("anonymous_denial")))
    # The same exemption as a request filter: Flask-Limiter then skips resolving the limits for a
    # logged-in request altogether (about 0.2 ms of every page, bench/README.md "Throughput").
    limiter.request_filter(_exempt)
    app.extensions["denial_throttle"] = limiter
    return limiter


def row_details(event: str, success: bool, has_actor: bool, details: dict) -> dict | None:
    """For audit.record: the details of the row to write (with its count), or None when this
    anonymous denial is only counted. Everything else is written as it is."""
    if has_actor or success or event not in AGGREGATED or not has_request_context():
        return details
    limiter = current_app.extensions.get("denial_throttle")
    if limiter is None:
        return details
    g.anonymous_denial = True  # the application limit above counts this response
    minute = int(time.time() // WINDOW_S)
    key = f"{current_app.config['RATELIMIT_KEY_PREFIX']}/denials/{event}/{get_remote_address()}/{minute}"
    try:
        count = limiter.storage.incr(key, WINDOW_S * 2)
    except Exception:  # noqa: BLE001 - the counter store is down: the row is written, uncounted
        current_app.logger.warning("denial counter unavailable", exc_info=True)
        return details
    if count != ANONYMOUS_DENIALS and str(count).strip("0") != "1":  # 1, 10, 100, ... and the limit
        return None
    return {**details, "count": count, "per": "ip_minute"}
