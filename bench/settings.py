"""Settings for the benchmark only: production settings plus a bench-only URLconf (bench/urls.py).

Used as DJANGO_SETTINGS_MODULE=bench.settings by bench/run.py; never by the app itself, so the bare page
below is not routed in production.
"""

from ikm_dekon.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
# The benchmark speaks plain http on the loopback; everything else stays as in production.
SECURE_SSL_REDIRECT = False
