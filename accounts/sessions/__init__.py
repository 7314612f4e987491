"""Sessions with a sliding idle expiry that are written only when they need to be.

Django's SESSION_SAVE_EVERY_REQUEST keeps an idle timeout by writing the session row (a transaction and a
WAL flush) on every request, which was a third of a signed-in page's fixed cost. Here a session is written
when its data changed or when its stored expiry has fallen more than `refresh_seconds()` behind where a write
now would put it (accounts.middleware.SlidingSessionMiddleware). So a session still ends SESSION_COOKIE_AGE
(SESSION_IDLE_SECONDS) after its last write and never later; an active user's session ends at most
`refresh_seconds()` earlier than with a write per request, never later. The engines here (db, cached_db)
stamp every write in the data itself, so that the age of the stored expiry is known without another query,
whichever store holds it.
"""

import time

from django.conf import settings

#: Seconds since the epoch of the session's last write (set by the engines below on every save).
SAVED_AT_KEY = "_ikm_saved_at"


def refresh_seconds():
    """How far the stored expiry may lag: a minute, or a tenth of a short idle timeout (a test's), so that
    an active user's session never runs out between two writes."""
    return min(settings.SESSION_REFRESH_SECONDS, settings.SESSION_COOKIE_AGE // 10)


class StampedSaveMixin:
    """Every write records when it happened (before Django's store encodes the data)."""

    def save(self, must_create=False):
        # no_load on creation: the new key has no row to read (Django's own save does the same).
        self._get_session(no_load=must_create)[SAVED_AT_KEY] = int(time.time())
        super().save(must_create)

    def expiry_is_stale(self):
        """The stored expiry lags more than `refresh_seconds()` behind a write now (or is of unknown age)."""
        saved_at = self.get(SAVED_AT_KEY)
        return not isinstance(saved_at, int) or time.time() - saved_at >= refresh_seconds()
