"""What voters read before voting: the questions and their options, the organisations authorised
to campaign with their arguments, and the documents of the dossier."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from referendums.models.campaigns import BilingualMixin, Campaign, Side

# Equal space (CIVIC-RULES, LO1112-10 spirit): both sides get the same maximum length.
ARGUMENT_MAX_LENGTH = 4000


class Question(BilingualMixin, models.Model):
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="questions", verbose_name=_("campagne")
    )
    position = models.PositiveSmallIntegerField(default=1, verbose_name=_("position"))
    text_fr = models.TextField(_("question (français)"))
    text_en = models.TextField(_("question (anglais)"), blank=True)

    class Meta:
        ordering = ["campaign", "position", "id"]
        verbose_name = _("question")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "position"], name="referendum_question_position_unique"
            )
        ]

    def __str__(self) -> str:
        return self.text_fr

    @property
    def text(self) -> str:
        return self.tr("text")


class OptionMeaning(models.TextChoices):
    YES = "yes", _("pour")
    NO = "no", _("contre")


class Option(BilingualMixin, models.Model):
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="options", verbose_name=_("question")
    )
    # `o1`..`o9` by position, all of one length, so neither a ballot nor the size of an encrypted
    # request tells the choice; what the option means for the verdict is `meaning`. Votes closed
    # before keys were fixed keep their free slugs (their published boxes hash them).
    key = models.SlugField(_("clé"), max_length=32)
    meaning = models.CharField(
        _("sens"), max_length=8, choices=OptionMeaning.choices, blank=True, default=""
    )
    position = models.PositiveSmallIntegerField(default=1, verbose_name=_("position"))
    label_fr = models.CharField(_("libellé (français)"), max_length=200)
    label_en = models.CharField(_("libellé (anglais)"), max_length=200, blank=True)

    class Meta:
        ordering = ["question", "position", "id"]
        verbose_name = _("réponse possible")
        constraints = [
            models.UniqueConstraint(fields=["question", "key"], name="referendum_option_key_unique")
        ]

    def __str__(self) -> str:
        return self.label_fr

    @property
    def label(self) -> str:
        return self.tr("label")


class Campaigner(models.Model):
    """An organisation authorised to campaign (LO1112-10: groups of elected members, parties with
    at least 5 % of elected members; for online votes, associations the city authorises)."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="campaigners", verbose_name=_("campagne")
    )
    name = models.CharField(_("nom"), max_length=200)
    side = models.CharField(_("position"), max_length=8, choices=Side.choices)
    description = models.CharField(_("qualité"), max_length=200, blank=True)
    authorised = models.BooleanField(_("habilité"), default=False)
    authorised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("habilité par"),
    )

    class Meta:
        ordering = ["campaign", "side", "name"]
        verbose_name = _("organisation habilitée")
        verbose_name_plural = _("organisations habilitées")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "name"], name="referendum_campaigner_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Argument(BilingualMixin, models.Model):
    campaigner = models.OneToOneField(
        Campaigner,
        on_delete=models.CASCADE,
        related_name="argument",
        verbose_name=_("participant à la campagne"),
    )
    text_fr = models.TextField(_("argumentaire (français)"), max_length=ARGUMENT_MAX_LENGTH)
    text_en = models.TextField(
        _("argumentaire (anglais)"), max_length=ARGUMENT_MAX_LENGTH, blank=True
    )

    class Meta:
        verbose_name = _("argumentaire")

    def __str__(self) -> str:
        return str(self.campaigner)

    @property
    def text(self) -> str:
        return self.tr("text")


class Document(BilingualMixin, models.Model):
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="documents", verbose_name=_("campagne")
    )
    title_fr = models.CharField(_("titre (français)"), max_length=200)
    title_en = models.CharField(_("titre (anglais)"), max_length=200, blank=True)
    url = models.URLField(_("adresse"), max_length=500)

    class Meta:
        ordering = ["campaign", "id"]
        verbose_name = _("document")

    def __str__(self) -> str:
        return self.title_fr

    @property
    def title(self) -> str:
        return self.tr("title")
