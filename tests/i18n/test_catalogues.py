"""The English catalogues: complete, faithful to their placeholders, compiled, and in step with the code.

Each app keeps `<app>/locale/en/LC_MESSAGES/django.po` (French msgids, English msgstr) and its compiled
`django.mo`, committed so a machine without GNU gettext still shows English. `tools/i18n update` extracts
the msgids, `tools/i18n compile` rebuilds the .mo files. Only the standard library reads the files here.
"""

from __future__ import annotations

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("civic", "petitions", "referendums", "assembly", "dashboards")
CONTEXT_SEPARATOR = "\x04"

# %(name)s, %s, %d, %.2f... (no space flag, so French text such as "(% des membres)" is not a placeholder),
# and {name} / {0} brace fields. "%%" is a literal percent sign, removed before matching.
PLACEHOLDER = re.compile(
    r"%\([^)]+\)[-#0+]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|%[-#0+]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|\{[\w.]*\}"
)


@dataclass
class Entry:
    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> str:
        return (
            f"{self.msgctxt}{CONTEXT_SEPARATOR}{self.msgid}"
            if self.msgctxt is not None
            else self.msgid
        )

    def __str__(self) -> str:
        return repr(self.key)


def parse_po(path: Path) -> list[Entry]:
    """The entries of a .po file, header excluded (obsolete `#~` entries are ignored)."""
    entries: list[Entry] = []
    target: tuple[str, int] | None = None
    flags: set[str] = set()
    fields: dict[str, str] = {}
    strings: dict[int, str] = {}

    def flush() -> None:
        nonlocal fields, strings, flags, target
        if "msgid" in fields:
            entries.append(
                Entry(
                    msgid=fields["msgid"],
                    msgctxt=fields.get("msgctxt"),
                    msgid_plural=fields.get("msgid_plural"),
                    msgstr=dict(strings),
                    flags=set(flags),
                )
            )
        fields, strings, flags, target = {}, {}, set(), None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("#,"):
            flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            assert target is not None, f"{path}: continuation line without a keyword: {raw!r}"
            value = ast.literal_eval(line)
            if target[0] == "msgstr":
                strings[target[1]] += value
            else:
                fields[target[0]] += value
            continue
        keyword, _, rest = line.partition(" ")
        value = ast.literal_eval(rest)
        if keyword.startswith("msgstr["):
            target = ("msgstr", int(keyword[len("msgstr[") : -1]))
            strings[target[1]] = value
        elif keyword == "msgstr":
            target = ("msgstr", 0)
            strings[0] = value
        else:
            if keyword in fields or (keyword == "msgctxt" and "msgid" in fields):
                flush()
            target = (keyword, 0)
            fields[keyword] = value
    flush()
    return [entry for entry in entries if entry.msgid != ""]


def po_path(app: str) -> Path:
    return ROOT / app / "locale" / "en" / "LC_MESSAGES" / "django.po"


def placeholders(text: str) -> Counter[str]:
    return Counter(PLACEHOLDER.findall(text.replace("%%", "")))


@pytest.fixture(scope="module", params=APPS)
def app(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def catalogue(app: str) -> list[Entry]:
    path = po_path(app)
    assert path.exists(), f"{path.relative_to(ROOT)} is missing: run tools/i18n update"
    return parse_po(path)


def test_every_app_has_a_non_empty_english_catalogue(catalogue: list[Entry]) -> None:
    assert len(catalogue) > 10


def test_every_entry_is_translated(app: str, catalogue: list[Entry]) -> None:
    untranslated = [
        str(entry)
        for entry in catalogue
        if not entry.msgstr or any(not text.strip() for text in entry.msgstr.values())
    ]
    assert not untranslated, f"{app}: {len(untranslated)} untranslated: {untranslated[:20]}"


def test_no_entry_is_fuzzy(app: str, catalogue: list[Entry]) -> None:
    fuzzy = [str(entry) for entry in catalogue if "fuzzy" in entry.flags]
    assert not fuzzy, f"{app}: fuzzy entries (check them, then drop the flag): {fuzzy[:20]}"


def test_plural_entries_have_both_english_forms(app: str, catalogue: list[Entry]) -> None:
    wrong = [
        str(entry)
        for entry in catalogue
        if (entry.msgid_plural is not None) != (sorted(entry.msgstr) == [0, 1])
    ]
    assert not wrong, (
        f"{app}: plural entries need msgstr[0] and msgstr[1] (and only those): {wrong}"
    )


def test_translations_keep_the_placeholders_of_their_source(
    app: str, catalogue: list[Entry]
) -> None:
    wrong = []
    for entry in catalogue:
        for index, text in entry.msgstr.items():
            if not text:
                continue  # untranslated: reported by test_every_entry_is_translated
            source = entry.msgid if index == 0 or entry.msgid_plural is None else entry.msgid_plural
            if placeholders(source) != placeholders(text):
                wrong.append(
                    f"{entry} [{index}]: {sorted(placeholders(source))} != {sorted(placeholders(text))}"
                )
    assert not wrong, f"{app}: " + "\n".join(wrong)


def test_the_placeholder_check_can_tell_a_dropped_or_renamed_placeholder() -> None:
    assert placeholders("%(count)s signatures sur %(goal)s") == placeholders(
        "%(count)s of %(goal)s signatures"
    )
    assert placeholders("%(count)s signatures") != placeholders("%(total)s signatures")
    assert placeholders("Quorum : %(q)s %% des membres") == placeholders(
        "Quorum: %(q)s %% of members"
    )
    assert placeholders("le {date}") != placeholders("on the date")
    assert placeholders("quorum (% des membres)") == placeholders("quorum (% of members)")


def test_the_compiled_catalogue_matches_the_po_file(app: str, catalogue: list[Entry]) -> None:
    mo_path = po_path(app).with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path.relative_to(ROOT)} is missing: run tools/i18n compile"
    with mo_path.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    table: dict[object, str] = dict(compiled._catalog)  # type: ignore[attr-defined]
    table.pop("", None)  # the header
    expected: dict[object, str] = {}
    for entry in catalogue:
        if entry.msgid_plural is None:
            expected[entry.key] = entry.msgstr.get(0, "")
        else:
            for index, text in entry.msgstr.items():
                expected[(entry.key, index)] = text
    # msgfmt leaves untranslated entries out of the .mo; those are reported by the test above.
    expected = {key: text for key, text in expected.items() if text}
    stale = sorted(str(key) for key in expected if table.get(key) != expected[key])
    extra = sorted(str(key) for key in table.keys() - expected.keys())
    assert not stale and not extra, (
        f"{app}: the .mo is out of date with the .po (run tools/i18n compile): "
        f"differs: {stale[:10]} ; only in .mo: {extra[:10]}"
    )


def test_the_compiled_catalogue_uses_the_english_plural_rule(
    app: str, catalogue: list[Entry]
) -> None:
    with po_path(app).with_suffix(".mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    assert compiled.info().get("language") == "en"
    assert compiled.info().get("plural-forms") == "nplurals=2; plural=(n != 1);"
    for entry in catalogue:
        if entry.msgid_plural is not None and entry.msgctxt is None:
            assert compiled.ngettext(entry.msgid, entry.msgid_plural, 1) == entry.msgstr[0]
            assert compiled.ngettext(entry.msgid, entry.msgid_plural, 0) == entry.msgstr[1]
            assert compiled.ngettext(entry.msgid, entry.msgid_plural, 2) == entry.msgstr[1]


def test_a_msgid_reads_the_same_in_english_whichever_app_translates_it() -> None:
    """Django merges the app catalogues: a msgid translated twice must say the same thing in both."""
    seen: dict[str, tuple[str, dict[int, str]]] = {}
    conflicts = []
    for app_name in APPS:
        if not po_path(app_name).exists():
            continue
        for entry in parse_po(po_path(app_name)):
            if not all(entry.msgstr.values()):
                continue  # untranslated: reported by test_every_entry_is_translated
            if entry.key in seen and seen[entry.key][1] != entry.msgstr:
                other, strings = seen[entry.key]
                conflicts.append(f"{entry}: {other} {strings} vs {app_name} {entry.msgstr}")
            seen.setdefault(entry.key, (app_name, entry.msgstr))
    assert not conflicts, "\n".join(conflicts)


def copy_of_app(app: str, workdir: Path) -> Path:
    copy = workdir / app
    shutil.copytree(
        ROOT / app, copy, ignore=shutil.ignore_patterns("locale", "__pycache__", "*.pyc")
    )
    (copy / "locale").mkdir()
    return copy


# makemessages creates settings.LOCALE_PATHS[0] (the repository's locale/) as a side effect: run it with
# LOCALE_PATHS emptied so the extraction touches nothing outside the temporary copy.
# sys.path[0] is the repository, as under manage.py (the copy's own modules, e.g. config/celery.py, must not
# shadow the packages of the same name).
# One process extracts from every copy it is given (Django starts once, not once per app).
EXTRACT_EACH = (
    f"import os, sys; sys.path[0] = {str(ROOT)!r}; "
    "import django; from django.conf import settings; settings.LOCALE_PATHS = []; django.setup(); "
    "from django.core.management import call_command\n"
    "for folder in sys.argv[1:]:\n"
    "    os.chdir(folder)\n"
    "    call_command('makemessages', locale=['en'], no_location=True, no_obsolete=True, verbosity=0)"
)


def extracted_msgids(*copies: Path) -> list[set[str]]:
    """The msgids makemessages finds in each copy of an app, in one process (the committed
    catalogues are left untouched)."""
    subprocess.run(
        [sys.executable, "-c", EXTRACT_EACH, *map(str, copies)],
        cwd=copies[0],
        check=True,
        capture_output=True,
        timeout=300,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
    )
    return [
        {entry.key for entry in parse_po(copy / "locale" / "en" / "LC_MESSAGES" / "django.po")}
        for copy in copies
    ]


needs_xgettext = pytest.mark.skipif(
    shutil.which("xgettext") is None,
    reason="xgettext (GNU gettext) is not installed: cannot extract msgids from the code",
)

PROBE = "Chaîne toute neuve"


@dataclass
class Extraction:
    """What one run of makemessages found in a copy of every app, and in a copy of civic with a
    newly marked string; whether the repository had a locale/ folder before and after it."""

    msgids: dict[str, set[str]]
    with_probe: set[str]
    root_locale_before: bool
    root_locale_after: bool


@pytest.fixture(scope="module")
def extraction(tmp_path_factory: pytest.TempPathFactory) -> Extraction:
    """The extraction runs once for the module (it is the module's slowest step), not per test."""
    workdir = tmp_path_factory.mktemp("extraction")
    copies = [copy_of_app(app_name, workdir / "apps") for app_name in APPS]
    probe = copy_of_app("civic", workdir / "probe")
    (probe / "probe.py").write_text(
        f'from django.utils.translation import gettext as _\n\nLABEL = _("{PROBE}")\n',
        encoding="utf-8",
    )
    before = (ROOT / "locale").exists()
    *found, with_probe = extracted_msgids(*copies, probe)
    return Extraction(
        msgids=dict(zip(APPS, found, strict=True)),
        with_probe=with_probe,
        root_locale_before=before,
        root_locale_after=(ROOT / "locale").exists(),
    )


@needs_xgettext
def test_the_catalogue_covers_every_msgid_in_the_code(
    app: str, catalogue: list[Entry], extraction: Extraction
) -> None:
    in_code = extraction.msgids[app]
    in_catalogue = {entry.key for entry in catalogue}
    missing = sorted(in_code - in_catalogue)
    stale = sorted(in_catalogue - in_code)
    assert not missing, (
        f"{app}: {len(missing)} msgids in the code are not in the catalogue (run tools/i18n update, translate, then tools/i18n compile): {missing[:20]}"
    )
    assert not stale, (
        f"{app}: {len(stale)} msgids in the catalogue are gone from the code (run tools/i18n update): {stale[:20]}"
    )


@needs_xgettext
def test_the_extraction_finds_a_newly_marked_string(extraction: Extraction) -> None:
    assert PROBE in extraction.with_probe
    assert PROBE not in extraction.msgids["civic"]
    assert PROBE not in {entry.key for entry in parse_po(po_path("civic"))}


@needs_xgettext
def test_the_extraction_leaves_the_repository_alone(extraction: Extraction) -> None:
    assert extraction.root_locale_after == extraction.root_locale_before
