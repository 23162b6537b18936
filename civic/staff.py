"""The staff home's tasks, gathered from the apps without the core knowing them.

Each installed app may hold a `staff_tasks` module with `staff_section(user) -> StaffSection | None`:
the tasks that user's roles give them in that app, each with a link the user may open and, where
there is work waiting, its count. The core finds the modules through the app registry (as the admin
finds `admin` modules), so civic imports no instrument and an instrument added later shows its tasks
by adding the module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module
from typing import Any

from django.apps import apps
from django.utils.module_loading import module_has_submodule

MODULE = "staff_tasks"


@dataclass(frozen=True)
class StaffTask:
    """One task: a label, the page where it is done and, if work is waiting, how much."""

    label: str
    url: str
    count: int | None = None  # None: a page to consult, nothing is counted
    hint: str = ""

    @property
    def pending(self) -> bool:
        return bool(self.count)


@dataclass(frozen=True)
class StaffSection:
    """An app's tasks for one user, in the order the app gives them."""

    title: str
    tasks: list[StaffTask] = field(default_factory=list)
    order: int = 100  # smaller first

    @property
    def pending(self) -> int:
        return sum(t.count or 0 for t in self.tasks)


SectionProvider = Callable[[Any], StaffSection | None]


@cache
def providers() -> tuple[SectionProvider, ...]:
    found = []
    for config in apps.get_app_configs():
        if module_has_submodule(config.module, MODULE):
            module = import_module(f"{config.name}.{MODULE}")
            found.append(module.staff_section)
    return tuple(found)


def staff_sections(user: Any) -> list[StaffSection]:
    """The sections with at least one task for `user`, in their order."""
    sections = [s for provider in providers() if (s := provider(user)) is not None and s.tasks]
    return sorted(sections, key=lambda s: s.order)
