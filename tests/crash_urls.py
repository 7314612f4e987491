"""The app's URLs plus one view that fails, to see the 500 page (tests/test_errors.py)."""

from django.urls import path

from ikm_dekon.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401


def crash(request):
    raise RuntimeError("a failure inside a view")


urlpatterns = [*urlpatterns, path("uji/gagal/", crash)]
