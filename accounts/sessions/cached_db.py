"""SESSION_ENGINE with a shared cache (Redis): read from the cache, written through to the database.

Only with a cache every web process shares (ikm_dekon/settings.py chooses): a sign-out in one worker deletes
the session from the cache the others read. The database keeps the session through a restart of the cache.
"""

from django.contrib.sessions.backends import cached_db

from . import StampedSaveMixin


class SessionStore(StampedSaveMixin, cached_db.SessionStore):
    pass
