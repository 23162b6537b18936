import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()

# Both need the settings configured above.
from civic.perf import freeze_import  # noqa: E402
from civic.perf.hotpath import HotPath  # noqa: E402
from civic.perf.pagepath import PagePath  # noqa: E402

application = HotPath(PagePath(django_application))

# Last: everything the import built lives as long as the process (see civic/perf/gcfreeze.py).
freeze_import()
