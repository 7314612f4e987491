"""Upload cap: a file larger than settings.MAX_UPLOAD_SIZE is refused while it streams in (400), before it
fills memory or the temporary directory. Forms still check their own, smaller limits (evidence: 10 MB).
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler


class SizeLimitUploadHandler(FileUploadHandler):
    def _refuse(self):
        raise RequestDataTooBig(f"Upload larger than MAX_UPLOAD_SIZE ({settings.MAX_UPLOAD_SIZE} bytes).")

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # The whole body: the largest file plus the ordinary form fields.
        limit = settings.MAX_UPLOAD_SIZE + settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if content_length and content_length > limit:
            self._refuse()

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > settings.MAX_UPLOAD_SIZE:
            self._refuse()
        return raw_data

    def file_complete(self, file_size):
        return None
