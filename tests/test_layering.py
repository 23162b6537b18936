"""The import graph is layered, and the code keeps the house rules that keep it so.

- `config` > `dashboards` > `petitions | referendums | assembly` (independent) > `civic`
  (the contract is `.importlinter`; imports under `if TYPE_CHECKING:` do not count);
- no function-local import of another first-party package (one that would hide a cycle);
- no application module over 400 lines;
- hand-written SQL only in an app's `store.py` (or `store/`), the speed machinery `civic/perf/`
  and migrations;
- PostgreSQL only: no SQLite branch, no `connection.vendor` switch.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("config", "dashboards", "petitions", "referendums", "assembly", "civic")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
MAX_LINES = 400
RAW_SQL = ("cursor(", ".raw(", "RawSQL", ".execute(")

# Function-local imports of first-party packages that stay, each for its stated reason:
# (path, function name). `ready()` of an app's AppConfig is always allowed: Django documents it as
# the place for imports that need the app registry (signal handlers, subscribers, checks).
LOCAL_IMPORT_WHITELIST: set[tuple[str, str]] = set()


def _lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _application_modules(root: Path = ROOT) -> list[Path]:
    return sorted(
        path
        for app in APPS
        for path in (root / app).rglob("*.py")
        if "migrations" not in path.relative_to(root).parts
    )


# --- the contract --------------------------------------------------------------------------------


def test_the_import_graph_keeps_its_layers():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout[-4000:]


def _synthetic_tree(tmp_path: Path, modules: dict[str, str]) -> Path:
    for app in APPS:
        (tmp_path / app).mkdir()
        (tmp_path / app / "__init__.py").write_text("")
    for name, code in modules.items():
        (tmp_path / name).write_text(code)
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    return tmp_path


def test_the_contract_allows_downward_imports_and_type_checking_back_edges(tmp_path):
    tree = _synthetic_tree(
        tmp_path,
        {
            "dashboards/views.py": "import petitions.selectors\nimport civic.models\n",
            "petitions/selectors.py": "import civic.models\n",
            "civic/models.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import petitions.selectors\n"
            ),
            "config/urls.py": "import dashboards.views\n",
        },
    )
    result = _lint(tree)
    assert result.returncode == 0, result.stdout[-4000:]


def test_the_contract_refuses_the_core_importing_an_app(tmp_path):
    tree = _synthetic_tree(
        tmp_path,
        {
            "petitions/selectors.py": "import civic.models\n",
            "civic/models.py": "import dashboards\n",
        },
    )
    result = _lint(tree)
    assert result.returncode != 0
    assert "civic is not allowed to import dashboards" in result.stdout


def test_the_contract_refuses_one_instrument_importing_another_even_inside_a_function(tmp_path):
    tree = _synthetic_tree(
        tmp_path,
        {"assembly/services.py": "def f():\n    from referendums import selectors\n"},
    )
    result = _lint(tree)
    assert result.returncode != 0
    assert "assembly is not allowed to import referendums" in result.stdout


# --- function-local imports ----------------------------------------------------------------------


def _local_imports(path: Path, source: str) -> list[str]:
    """`path:line function -> module` for each import of a first-party package inside a function
    (except an AppConfig's `ready()`, and the whitelist)."""
    found = []
    tree = ast.parse(source)
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if path.name == "apps.py" and func.name == "ready":
            continue
        if (str(path), func.name) in LOCAL_IMPORT_WHITELIST:
            continue
        for node in ast.walk(func):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.ImportFrom):  # relative: first-party by definition
                names = [APPS[0]]
            else:
                continue
            for name in names:
                if name.split(".")[0] in APPS:
                    found.append(f"{path}:{node.lineno} {func.name} -> {name}")
    return found


def test_no_function_local_import_of_a_first_party_package():
    offenders = [
        hit
        for path in _application_modules()
        for hit in _local_imports(path.relative_to(ROOT), path.read_text())
    ]
    assert offenders == []


def test_the_local_import_check_sees_imports_nested_in_functions_and_methods():
    source = (
        "def f():\n    from civic.tasks import x\n"
        "class A:\n    def m(self):\n        if True:\n            import petitions.selectors\n"
    )
    hits = _local_imports(Path("civic/x.py"), source)
    assert [h.split(" ", 1)[1] for h in hits] == ["f -> civic.tasks", "m -> petitions.selectors"]


def test_the_local_import_check_lets_third_party_imports_and_app_ready_pass():
    source = "def f():\n    import redis\n    from celery import current_app\n"
    assert _local_imports(Path("civic/x.py"), source) == []
    ready = "class C:\n    def ready(self):\n        from civic import events\n"
    assert _local_imports(Path("civic/apps.py"), ready) == []
    assert _local_imports(Path("civic/other.py"), ready) != []  # only in apps.py


# --- module size ---------------------------------------------------------------------------------


def _too_long(paths: list[Path]) -> list[str]:
    return [
        f"{p.relative_to(ROOT)}: {n}"
        for p in paths
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    ]


def test_no_application_module_is_over_400_lines():
    assert _too_long(_application_modules()) == []


# --- raw SQL -------------------------------------------------------------------------------------


def _sql_allowed(relative: Path) -> bool:
    parts = relative.parts
    return (
        relative.name == "store.py"
        or "store" in parts[:-1]
        or parts[:2] == ("civic", "perf")
        or "migrations" in parts
    )


def _raw_sql_outside_stores(root: Path) -> list[str]:
    hits = []
    for app in APPS:
        for path in sorted((root / app).rglob("*.py")):
            relative = path.relative_to(root)
            if _sql_allowed(relative):
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if any(token in line for token in RAW_SQL):
                    hits.append(f"{relative}:{number}: {line.strip()}")
    return hits


def test_hand_written_sql_lives_only_in_stores_the_speed_machinery_and_migrations():
    assert _raw_sql_outside_stores(ROOT) == []


def test_the_sql_check_finds_a_cursor_outside_a_store(tmp_path):
    for app in APPS:
        (tmp_path / app).mkdir()
    (tmp_path / "petitions" / "services.py").write_text("with connection.cursor() as c:\n")
    (tmp_path / "civic" / "views.py").write_text("Model.objects.raw('SELECT 1')\n")
    found = sorted(h.split(":")[0] for h in _raw_sql_outside_stores(tmp_path))
    assert found == ["civic/views.py", "petitions/services.py"]


def test_the_sql_check_lets_stores_the_speed_machinery_and_migrations_pass(tmp_path):
    for path in ("petitions/store.py", "referendums/store/ballots.py", "civic/perf/x.py"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("cursor.execute('SELECT 1')\n")
    (tmp_path / "assembly/migrations").mkdir(parents=True)
    (tmp_path / "assembly/migrations/0001.py").write_text("cursor.execute('SELECT 1')\n")
    for app in APPS:
        (tmp_path / app).mkdir(exist_ok=True)
    assert _raw_sql_outside_stores(tmp_path) == []


# --- one database ---------------------------------------------------------------------------------

_SELF = ":!tests/test_layering.py"  # this file names what it looks for


@pytest.mark.parametrize(
    "pattern",
    [["-i", "sqlite", "--", "*.py", _SELF], ["connection.vendor", "--", ".", _SELF]],
    ids=["sqlite", "vendor"],
)
def test_the_code_names_no_other_database_than_postgresql(pattern):
    result = subprocess.run(
        ["git", "grep", "-n", *pattern],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stdout  # git grep: 1 = nothing found
