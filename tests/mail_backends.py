"""Mail backends for tests/test_worker.py: a mail server that fails a few times, then delivers."""

from django.core.mail.backends.locmem import EmailBackend


class FailingTwice(EmailBackend):
    """Refuses the first two connections (as a mail server that is down), then delivers to mail.outbox."""

    failures_left = 2

    def send_messages(self, messages):
        if FailingTwice.failures_left > 0:
            FailingTwice.failures_left -= 1
            raise ConnectionRefusedError(111, "Connection refused (test mail server down)")
        return super().send_messages(messages)
