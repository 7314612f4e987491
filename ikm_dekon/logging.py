"""Log formatters: one JSON object per line for log shippers, and a readable line for a console.

Both carry the context the audit trail needs — user, province, object, path — when a record has it (passed
as `extra=` by ikm_dekon.audit and programs.services), plus any other extra field.
"""

import datetime
import json
import logging

# Attributes every LogRecord has; anything else on a record came in through `extra=`.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
_CONTEXT = ("event", "user", "province", "object", "path")


def _extras(record):
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")}


class JsonFormatter(logging.Formatter):
    def format(self, record):
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        extras = _extras(record)
        # The audit context first, in a fixed order, when the record carries it (audit lines always do).
        entry.update({key: extras.pop(key) for key in _CONTEXT if key in extras})
        entry.update(extras)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def formatMessage(self, record):
        line = super().formatMessage(record)
        extras = _extras(record)
        if extras:
            line += " " + " ".join(f"{k}={v}" for k, v in extras.items() if v is not None)
        return line


class RefusalWithoutTraceback(logging.Filter):
    """A refused request is one line, not a traceback: Django logs the PermissionDenied or Http404 it
    answered with its whole stack, which buries the real problems (a 500 keeps its traceback). A 403 or 404
    is already the audit line of ikm_dekon.audit.RefusedAccessLogMiddleware (who, what, where), so Django's
    own line for it is dropped; other refusals (400, 405) stay as one line."""

    def filter(self, record):
        status = getattr(record, "status_code", None)
        if status is None or status >= 500 or not record.name.startswith("django."):
            return True
        if record.name == "django.request" and status in (403, 404):
            return False
        record.exc_info = None
        record.exc_text = None
        return True

