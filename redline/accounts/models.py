"""Users belong to one organisation and hold roles; machine clients use personal tokens."""

from __future__ import annotations

import hashlib
import secrets
from typing import Self

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from redline.organisations.access import ROLES


class Role(models.TextChoices):
    VIEWER = "viewer", pgettext_lazy("role", "Viewer")
    OPERATOR = "operator", pgettext_lazy("role", "Operator")
    INSPECTOR = "inspector", pgettext_lazy("role", "Inspector")
    MANAGER = "manager", pgettext_lazy("role", "Manager")
    ADMIN = "admin", pgettext_lazy("role", "Administrator")


assert tuple(Role.values) == ROLES


def validate_roles(value: object) -> None:
    if not isinstance(value, list) or any(r not in ROLES for r in value):
        raise ValidationError(_("Roles must be a list drawn from: %s") % ", ".join(ROLES))


class User(AbstractUser):
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    roles = models.JSONField(_("roles"), default=list, blank=True, validators=[validate_roles])
    phone = models.CharField(_("phone"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def get_roles_display(self) -> list[str]:
        labels = dict(Role.choices)
        return [str(labels[r]) for r in self.roles if r in labels]

    def has_role(self, *roles: str) -> bool:
        return self.is_superuser or any(r in self.roles for r in roles)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def live(self) -> Self:
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A personal API token. Only its hash is stored; the key is shown once."""

    PREFIX = "rl_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(_("key starts with"), max_length=12)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @classmethod
    def issue(cls, *, user: User, name: str) -> tuple[ApiToken, str]:
        key = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, key_hash=_hash(key), hint=key[:10])
        return token, key

    @classmethod
    def find(cls, key: str) -> ApiToken | None:
        if not key.startswith(cls.PREFIX):
            return None
        return cls.objects.live().select_related("user").filter(key_hash=_hash(key)).first()
