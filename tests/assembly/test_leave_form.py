"""The clerk's "member leaving" form names no member until the clerk chooses one."""

import pytest

from assembly.forms import LeaveForm
from tests.assembly.factories import MemberFactory

pytestmark = pytest.mark.django_db


def test_the_leaving_member_is_not_preselected_and_is_required():
    member = MemberFactory()
    form = LeaveForm(members=[member])
    choices = list(form.fields["member"].choices)
    assert choices[0][0] == "" and len(choices) == 2
    html = str(form["member"])
    assert "selected" not in html.split("</option>", 1)[1]
    refused = LeaveForm({"member": "", "reason": "santé"}, members=[member])
    assert not refused.is_valid() and "member" in refused.errors
    chosen = LeaveForm({"member": str(member.pk)}, members=[member])
    assert chosen.is_valid() and chosen.cleaned_data["member"] == member.pk
