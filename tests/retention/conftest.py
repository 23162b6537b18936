from tests.faults.conftest import shipped_instruments  # noqa: F401 - re-seeds shipped instruments
from tests.referendums.conftest import close_vote, open_vote  # noqa: F401 - fixtures
