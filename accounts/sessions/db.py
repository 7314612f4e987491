"""SESSION_ENGINE without a shared cache: Django's database sessions, stamped (accounts/sessions)."""

from django.contrib.sessions.backends import db

from . import StampedSaveMixin


class SessionStore(StampedSaveMixin, db.SessionStore):
    pass
