"""What a browser posts back from an admin add or change page: every field of the form and its
inlines, as rendered, for tests to change a few and post."""

from __future__ import annotations

from typing import Any

from django.forms import CheckboxInput, MultiWidget


def form_data(response: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}

    def add(form: Any) -> None:
        for bound in form:
            widget, value = bound.field.widget, bound.value()
            if isinstance(widget, MultiWidget):
                parts = widget.decompress(value)
                for suffix, part in zip(widget.widgets_names, parts, strict=True):
                    data[f"{bound.html_name}{suffix}"] = "" if part is None else str(part)
            elif isinstance(widget, CheckboxInput):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(value, list | tuple):
                data[bound.html_name] = [str(v) for v in value]
            else:
                data[bound.html_name] = "" if value is None else str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data
