"""Signing, withdrawing and paper entry (see `record` for how the database guards them)."""

from petitions.services.signatures.online import SignOutcome, signature_sign, signature_withdraw
from petitions.services.signatures.paper import PaperOutcome, paper_signature_enter
from petitions.services.signatures.plan import count_slot, quarter_key
from petitions.services.signatures.state import TrackInfo, open_memo_forget

__all__ = [
    "PaperOutcome",
    "SignOutcome",
    "TrackInfo",
    "count_slot",
    "open_memo_forget",
    "paper_signature_enter",
    "quarter_key",
    "signature_sign",
    "signature_withdraw",
]
