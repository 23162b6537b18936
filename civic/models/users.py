"""Accounts: residents and staff log in with e-mail and password."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civic.models.register import RegisterEntry


class VerificationMethod(models.TextChoices):
    MATCH = "match", _("Rapprochement avec le registre")
    DESK = "desk", _("Vérification au guichet")
    OIDC = "oidc", _("Identité vérifiée par un fournisseur (FranceConnect)")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("adresse e-mail"), unique=True)
    display_name = models.CharField(_("nom affiché"), max_length=150, blank=True)
    language = models.CharField(
        _("langue"), max_length=8, choices=[("fr", "Français"), ("en", "English")], default="fr"
    )
    is_staff = models.BooleanField(_("membre du personnel"), default=False)
    is_active = models.BooleanField(_("actif"), default=True)
    date_joined = models.DateTimeField(_("inscrit le"), default=timezone.now)

    # Verification: the account is linked to exactly one register entry, and one entry to at most one
    # account (the OneToOne column is unique in the database, so two racing claims cannot both win).
    register_entry = models.OneToOneField(
        RegisterEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="account",
        verbose_name=_("inscription au registre"),
    )
    verified_at = models.DateTimeField(_("vérifié le"), null=True, blank=True)
    verification_method = models.CharField(
        _("méthode de vérification"), max_length=8, choices=VerificationMethod.choices, blank=True
    )
    verified_by = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("vérifié par"),
    )

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("compte")
        verbose_name_plural = _("comptes")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(register_entry__isnull=True, verified_at__isnull=True)
                    | models.Q(register_entry__isnull=False, verified_at__isnull=False)
                ),
                name="user_verified_iff_linked",
            ),
            models.CheckConstraint(
                condition=~models.Q(verification_method=VerificationMethod.DESK)
                | models.Q(verified_by__isnull=False),
                name="user_desk_verification_has_agent",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_verified(self) -> bool:
        return self.register_entry_id is not None
