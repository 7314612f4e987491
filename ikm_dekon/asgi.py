import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ikm_dekon.settings")
application = get_asgi_application()
