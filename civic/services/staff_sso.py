"""Staff single sign-on (ProConnect or any OpenID Connect provider): which toolkit account, if any,
the provider's person opens.

The rule (docs/identity.md, "Staff single sign-on"): the provider never creates an account and
never grants a role. An administrator first authorises an existing staff account
(`staff_sso_authorise`, audited); that authorisation waits with no subject. At the agent's first
login the provider's e-mail, which the provider must vouch for, must be that account's: the
provider's `sub` is then bound to the account (audited), and every later login finds the account by
that `sub` alone, so an e-mail changed at the provider can neither move nor take over an account.
Anyone else gets a refusal page and nothing is written."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civic.audit import audit_record
from civic.errors import Conflict, DomainError, NotFound, PermissionDenied
from civic.models import OidcBindMethod, OidcIdentity, User
from civic.roles import Role, has_role


class StaffSsoRefused(DomainError):
    status = 403
    default_code = "staff_sso_refused"


def staff_sso_authorise(*, admin: User, user_id: int, issuer: str) -> OidcIdentity:
    """Allow the staff account `user_id` to log in through the staff provider `issuer`; the
    provider's subject is bound at its first login. Administrators only, audited."""
    if not has_role(admin, Role.ADMINISTRATOR):
        raise PermissionDenied(_("Seul un administrateur peut autoriser la connexion unique."))
    if not issuer:
        raise Conflict(_("La connexion unique du personnel n'est pas configurée."), code="sso_off")
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound(_("Compte introuvable."))
    if not (user.is_staff and user.is_active):
        raise Conflict(
            _("Seul un compte actif du personnel peut utiliser la connexion unique."),
            code="not_staff",
        )
    try:
        with transaction.atomic():
            bond = OidcIdentity.objects.create(
                user=user,
                issuer=issuer,
                subject="",
                method=OidcBindMethod.STAFF,
                authorised_by=admin,
            )
            audit_record(
                actor=admin, verb="staff.sso.authorise", target=user, after={"issuer": issuer}
            )
    except IntegrityError:
        raise Conflict(
            _("Ce compte est déjà autorisé ou rattaché à ce fournisseur."), code="already_bound"
        ) from None
    return bond


def staff_sso_revoke(*, admin: User, user_id: int, issuer: str) -> bool:
    """Withdraw the staff account's single sign-on at `issuer` (authorised or bound): its next
    login through the provider is refused. Administrators only, audited; False if there was none."""
    if not has_role(admin, Role.ADMINISTRATOR):
        raise PermissionDenied(_("Seul un administrateur peut retirer la connexion unique."))
    with transaction.atomic():
        removed, _kinds = OidcIdentity.objects.filter(
            user_id=user_id, issuer=issuer, method=OidcBindMethod.STAFF
        ).delete()
        if removed:
            audit_record(
                actor=admin,
                verb="staff.sso.revoke",
                target=User.objects.get(pk=user_id),
                after={"issuer": issuer},
            )
    return bool(removed)


def staff_oidc_sign_in(*, issuer: str, subject: str, email: str, email_trusted: bool) -> User:
    """The staff account the provider's person opens, or StaffSsoRefused (`not_staff`,
    `unknown_person`). `email_trusted`: the provider vouches for the e-mail address."""
    bond = (
        OidcIdentity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
    )
    if bond is not None:
        _check_staff(bond.user)
        OidcIdentity.objects.filter(pk=bond.pk).update(last_login_at=timezone.now())
        return bond.user
    if email and email_trusted:
        user = _bind_first_login(issuer=issuer, subject=subject, email=email)
        if user is not None:
            return user
    if email and User.objects.filter(email__iexact=email, is_staff=False).exists():
        raise _not_staff()
    raise StaffSsoRefused(
        _(
            "Aucun compte du personnel n'est autorisé pour cette identité. Aucun compte n'a été "
            "créé. Demandez à un administrateur de la plateforme d'autoriser votre compte."
        ),
        code="unknown_person",
    )


def _bind_first_login(*, issuer: str, subject: str, email: str) -> User | None:
    with transaction.atomic():
        pending = (
            OidcIdentity.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(issuer=issuer, subject="", method=OidcBindMethod.STAFF)
            .filter(user__email__iexact=email)
            .first()
        )
        if pending is None:
            return None
        _check_staff(pending.user)
        now = timezone.now()
        pending.subject, pending.bound_at, pending.last_login_at = subject, now, now
        try:
            with transaction.atomic():
                pending.save(update_fields=["subject", "bound_at", "last_login_at"])
        except IntegrityError:
            # This subject is already another account's (the constraint said so): refuse.
            raise _not_staff() from None
        audit_record(
            actor=pending.user,
            verb="staff.sso.bind",
            target=pending.user,
            after={"issuer": issuer, "authorised_by": pending.authorised_by_id},
        )
    return pending.user


def _check_staff(user: User) -> None:
    if not (user.is_active and user.is_staff):
        raise _not_staff()


def _not_staff() -> StaffSsoRefused:
    return StaffSsoRefused(
        _(
            "Cette identité ne correspond à aucun compte du personnel. Les habitants se "
            "connectent depuis la page de connexion, sans la connexion du personnel."
        ),
        code="not_staff",
    )
