"""The app's URLs plus one bare page, the throughput floor of the load test (bench/settings.py only)."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.urls import path

from ikm_dekon.urls import urlpatterns as app_urlpatterns
from provinces.models import Province


@login_not_required
def bare(request):
    """One indexed query (a province by its unique code) and a few bytes: what Django costs at least."""
    name = Province.objects.filter(code="51").values_list("name", flat=True).first()
    return HttpResponse(name or "-", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare, name="bench_bare"), *app_urlpatterns]
