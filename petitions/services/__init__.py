"""Every write of the petitions app goes through these functions (each audits what it changes)."""

from petitions.services.collection import (
    collection_extend,
    collection_resume,
    collection_suspend,
    extension_days_left,
)
from petitions.services.counting import (
    counts_fold,
    counts_recount,
    counts_tick,
    rungs_evaluate,
    rungs_sweep,
)
from petitions.services.deadlines import (
    initiative_close,
    initiatives_due_ids,
    initiatives_remind_closing,
    signers_notify,
)
from petitions.services.drafting import (
    initiative_create,
    initiative_update,
    promoter_cosign,
    promoter_invite,
    promoters_cosigned,
    promoters_needed,
)
from petitions.services.erasure import personal_data_erase
from petitions.services.initiatives import (
    initiative_publish,
    initiative_reject,
    initiative_review_start,
    initiative_submit,
    initiative_withdraw,
)
from petitions.services.invalidations import (
    invalidation_preview,
    invalidation_request,
    invalidation_run,
    invalidation_undo_request,
    invalidation_undo_run,
)
from petitions.services.moderation import (
    initiative_moderate,
    initiative_reinstate,
    initiative_suspend,
    initiative_unpublish,
)
from petitions.services.obligation_documents import (
    obligation_document_attach,
    obligation_document_replace,
    obligation_document_withdraw,
)
from petitions.services.obligations import (
    obligation_complete,
    obligation_complete_examined,
    obligations_flag_overdue,
    obligations_remind_due,
)
from petitions.services.paper_batches import paper_batch_for_entry, paper_batch_issue
from petitions.services.paper_import import (
    ImportReport,
    PaperRow,
    paper_rows_from_csv,
    paper_signatures_import,
)
from petitions.services.retention import signatures_purge_due
from petitions.services.signatures import (
    PaperOutcome,
    SignOutcome,
    paper_signature_enter,
    signature_sign,
    signature_withdraw,
)
from petitions.services.trending import trending_alerts

__all__ = [
    "ImportReport",
    "PaperOutcome",
    "PaperRow",
    "SignOutcome",
    "collection_extend",
    "collection_resume",
    "collection_suspend",
    "counts_fold",
    "counts_recount",
    "counts_tick",
    "extension_days_left",
    "initiative_close",
    "initiative_create",
    "initiative_moderate",
    "initiative_publish",
    "initiative_reinstate",
    "initiative_reject",
    "initiative_review_start",
    "initiative_submit",
    "initiative_suspend",
    "initiative_unpublish",
    "initiative_update",
    "initiative_withdraw",
    "initiatives_due_ids",
    "initiatives_remind_closing",
    "invalidation_preview",
    "invalidation_request",
    "invalidation_run",
    "invalidation_undo_request",
    "invalidation_undo_run",
    "obligation_complete",
    "obligation_complete_examined",
    "obligation_document_attach",
    "obligation_document_replace",
    "obligation_document_withdraw",
    "obligations_flag_overdue",
    "obligations_remind_due",
    "paper_batch_for_entry",
    "paper_batch_issue",
    "paper_rows_from_csv",
    "paper_signature_enter",
    "paper_signatures_import",
    "personal_data_erase",
    "promoter_cosign",
    "promoter_invite",
    "promoters_cosigned",
    "promoters_needed",
    "rungs_evaluate",
    "rungs_sweep",
    "signature_sign",
    "signature_withdraw",
    "signatures_purge_due",
    "signers_notify",
    "trending_alerts",
]
