"""Server-made PDF (WeasyPrint) and PNG (pypdfium2) of a page: the PP 39/2006 forms and a province's status.

Why it exists: the ministry sends documents that look official and stay the same wherever they are opened,
so the file is made on the server from an HTML template and its print stylesheet — never by a browser.

What it must never do: fetch anything over the network. The only resources a document may load are the
application's own static files (`static_path`); any other address is refused and the document is made
without it. Fonts are those fontconfig finds (DejaVu is installed on the servers and in CI).
"""

import io
import logging
import mimetypes
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation
from django.http import HttpResponse
from django.template.loader import render_to_string

log = logging.getLogger("ikm_dekon.pdf")
# WeasyPrint logs every rendering step at INFO: the application's log keeps its warnings (a refused
# resource, a missing font) and not the steps of each document.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

#: The base address of a document: relative links ("/static/css/pdf.css") resolve under it, and nothing
#: answers there, so a link that is not a static file cannot reach a server.
BASE_URL = "https://pdf.ikm-dekon.invalid/"
PDF_TYPE = "application/pdf"
#: Width of a PNG to share in a chat: a phone screen's 1080 pixels.
PNG_WIDTH = 1080


def static_path(url):
    """The file of a static-file address under BASE_URL, else None (every other address is refused)."""
    parts = urlsplit(url)
    prefix = "/" + settings.STATIC_URL.lstrip("/")
    path = unquote(parts.path)
    if f"{parts.scheme}://{parts.netloc}/" != BASE_URL or not path.startswith(prefix) or ".." in path:
        return None
    name = path[len(prefix) :]
    if not name or name.startswith("/") or "\\" in name or "\x00" in name:
        return None  # an absolute path, a Windows separator or a NUL is never a static file's name
    # Collected (and hashed, as the templates name them in production) under STATIC_ROOT, else the source
    # directories (development, tests).
    try:
        if staticfiles_storage.exists(name):
            return staticfiles_storage.path(name)
    except (NotImplementedError, SuspiciousFileOperation):
        pass
    try:
        return finders.find(name) or None
    except SuspiciousFileOperation:
        return None


def _fetcher():
    """WeasyPrint's URL fetcher serving the application's static files and nothing else."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse  # imports WeasyPrint: only when used

    class StaticFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            found = static_path(url)
            if found is None:
                log.warning("pdf_refused_url", extra={"object": url})
                raise ValueError(f"not a static file: {url}")
            with open(found, "rb") as handle:
                body = handle.read()
            content_type = mimetypes.guess_type(found)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body, {"Content-Type": content_type})

    return StaticFetcher()


def html_to_pdf(html):
    """The PDF (bytes) of an HTML document whose stylesheets and images are static files."""
    from weasyprint import HTML  # loads pango and its fonts: only where a document is made

    return HTML(string=html, base_url=BASE_URL, url_fetcher=_fetcher()).write_pdf()


def render_pdf(request, template, context):
    """The PDF (bytes) of a template rendered for the request."""
    return html_to_pdf(render_to_string(template, context, request=request))


def pdf_to_png(pdf, width=PNG_WIDTH, page=0):
    """A page of a PDF as a PNG (bytes) `width` pixels wide, rendered by pdfium."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        sheet = document[page]
        bitmap = sheet.render(scale=width / sheet.get_width())
        image = bitmap.to_pil()
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
        return out.getvalue()
    finally:
        document.close()


def _response(body, content_type, filename):
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def pdf_response(request, template, context, *, filename):
    """The template as a PDF, `filename` without extension."""
    return _response(render_pdf(request, template, context), PDF_TYPE, f"{filename}.pdf")


def png_response(request, template, context, *, filename):
    """The template's first page as a PNG about 1080 pixels wide."""
    return _response(pdf_to_png(render_pdf(request, template, context)), "image/png", f"{filename}.png")
