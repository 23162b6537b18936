import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()

from civic.perf.hotpath import HotPath  # noqa: E402 - needs the settings configured above

application = HotPath(django_application)

# What importing the application built (Django, the apps, their models and settings: about
# 110,000 objects) lives as long as the process. Out of the collector's sight, a full collection
# walks only what requests left behind: one had stalled both request threads of a worker for
# 100 ms and more (bench/gc_pauses.py). The garbage of the import is collected first.
gc.collect()
gc.freeze()
