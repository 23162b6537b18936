"""Pages, server-rendered; every essential path (sign, withdraw) is a plain POST form."""

from petitions.views.detail import initiative_detail, initiative_obligations_pdf
from petitions.views.guided import initiative_guided
from petitions.views.initiatives import (
    initiative_cosign,
    initiative_create,
    initiative_edit,
    initiative_invite,
    initiative_list,
    initiative_reject,
    initiative_transition,
    my_initiatives,
)
from petitions.views.invalidations import (
    rejection_register,
    staff_invalidation,
    staff_invalidation_undo,
    staff_invalidations,
)
from petitions.views.signing import initiative_sign, initiative_unsign, my_signatures
from petitions.views.staff import obligation_done, obligations, staff_paper, staff_queue

__all__ = [
    "initiative_cosign",
    "initiative_create",
    "initiative_detail",
    "initiative_edit",
    "initiative_guided",
    "initiative_invite",
    "initiative_list",
    "initiative_obligations_pdf",
    "initiative_reject",
    "initiative_sign",
    "initiative_transition",
    "initiative_unsign",
    "my_initiatives",
    "my_signatures",
    "obligation_done",
    "obligations",
    "rejection_register",
    "staff_invalidation",
    "staff_invalidation_undo",
    "staff_invalidations",
    "staff_paper",
    "staff_queue",
]
