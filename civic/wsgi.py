import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civic.settings")
django_application = get_wsgi_application()

from civic.hotpath import HotPath  # noqa: E402 - needs the settings configured above

application = HotPath(django_application)
