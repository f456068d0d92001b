"""Regions, government bodies, sector mandates, the unit registry and its people."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from redline.engines import credit_code
from redline.organisations.vocab import (
    DepartmentType,
    OrganisationKind,
    PersonRole,
    RegionLevel,
    Sector,
    UnitKind,
    UnitStatus,
)

if TYPE_CHECKING:
    from redline.organisations.access import Scope


def _localised(obj: Any) -> str:
    """The English name when the user reads English and one is recorded."""
    if (get_language() or "").startswith("en") and getattr(obj, "name_en", None):
        return str(obj.name_en)
    return str(obj.name)


def validate_credit_code(value: str) -> None:
    found = credit_code.problem(value)
    if found is None:
        return
    if found.code == "length":
        message = _("A unified social credit code has 18 characters; this one has %(n)d.")
        raise ValidationError(message, code="credit_code_length", params={"n": len(value)})
    if found.code == "character":
        message = _(
            "Character %(char)s at position %(pos)d is not allowed in a unified social "
            "credit code (digits and capital letters except I, O, S, V, Z)."
        )
        raise ValidationError(
            message,
            code="credit_code_character",
            params={"char": found.char, "pos": found.position},
        )
    message = _(
        "The check character (position 18) is %(char)s, but GB 32100-2015 gives %(expected)s "
        "for the first 17 characters: the code is mistyped."
    )
    raise ValidationError(
        message, code="credit_code_check", params={"char": found.char, "expected": found.expected}
    )


def validate_geojson_geometry(value: Any) -> None:
    if value in (None, ""):
        return
    if not isinstance(value, dict) or value.get("type") not in {"Polygon", "MultiPolygon"}:
        raise ValidationError(_("The boundary must be a GeoJSON Polygon or MultiPolygon."))
    coords = value.get("coordinates")
    rings = coords if value["type"] == "Polygon" else [r for p in coords or [] for r in p]
    if not rings:
        raise ValidationError(_("The boundary has no coordinates."))
    for ring in rings:
        if not isinstance(ring, list) or len(ring) < 4 or ring[0] != ring[-1]:
            raise ValidationError(
                _("Each boundary ring must be closed and have at least 4 points.")
            )
        for point in ring:
            ok = isinstance(point, list | tuple) and len(point) >= 2
            if not ok or not (-180 <= point[0] <= 180 and -90 <= point[1] <= 90):
                raise ValidationError(_("Boundary coordinates must be [longitude, latitude]."))


# The model of a scoped queryset's records.
_M = TypeVar("_M", bound=models.Model, covariant=True)


class ScopedQuerySet(models.QuerySet[_M]):
    """The door: every read of business data goes through `restrict(user, action)`, and
    every record acted on is loaded with `get_for(user, action, ...)`
    (`redline.organisations.access` says where each action is allowed)."""

    # The lookup path from this model to its enterprise ("" for Enterprise itself).
    enterprise_path: str | None = None
    # The lookup path from this model to its region, for records without an enterprise.
    region_path: str | None = None

    def restrict(self, user: Any, action: str = "view", *, roles: bool = True) -> Self:
        """The records the user may take `action` on (nothing when no role of theirs
        allows it; `roles=False`: where, whatever their role, as the workflows ask, whose
        transitions say which roles take each step)."""
        from redline.organisations.access import jurisdiction, role_allows

        if roles and not role_allows(user, action):
            return self.none()
        return self.within(jurisdiction(user, action))

    def within(self, scope: Scope) -> Self:
        """The records in `scope` by the filter the door puts on this model for it: a user's
        (`restrict`), or another's, a department's competence say
        (`access.department_competence`, narrowing a list that starts from `restrict`)."""
        if scope.everything:
            return self
        return self.filter(self.scope_filter(scope))

    def get_for(self, user: Any, action: str = "view", *, roles: bool = True, **lookup: Any) -> _M:
        """The one record matching `lookup` that the user may take `action` on: NotFound
        when they cannot see it (or it does not exist), PermissionDenied when they see it but
        may not take the action."""
        from redline.core.errors import NotFound, PermissionDenied
        from redline.core.security import log_denied

        try:
            record = self.restrict(user).get(**lookup)
        except (ObjectDoesNotExist, ValueError, TypeError):
            if self._exists_outside(lookup):
                log_denied(user=user, reason="outside_jurisdiction", model=self.model._meta.label)
            raise NotFound() from None
        if (
            action != "view"
            and not self.restrict(user, action, roles=roles).filter(pk=record.pk).exists()
        ):
            log_denied(
                user=user,
                reason=f"action_not_allowed:{action}",
                model=self.model._meta.label,
                pk=record.pk,
            )
            raise PermissionDenied()
        return record

    def _exists_outside(self, lookup: dict[str, Any]) -> bool:
        """Whether a record the door hid exists (then the refusal is logged as denied)."""
        try:
            return self.filter(**lookup).exists()
        except (ValueError, TypeError):
            return False

    def scope_filter(self, scope: Scope) -> models.Q:
        """The filter a (not all-seeing) scope puts on this model."""
        if self.enterprise_path is not None:
            return scope.enterprise_q(self.enterprise_path)
        assert self.region_path is not None
        return scope.region_q(self.region_path)


class RegionScopedQuerySet(ScopedQuerySet):
    """Records placed in a region (parks, government bodies): scoped by that region."""

    region_path = "region__"


class RegionQuerySet(ScopedQuerySet):
    region_path = ""

    def subtree(self, region: Region) -> Self:
        return self.filter(path__startswith=region.path)


class Region(models.Model):
    code = models.CharField(_("administrative code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    level = models.CharField(_("level"), max_length=16, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Materialised path of ids, "/1/4/17/": a subtree is one indexed prefix match.
    path = models.CharField(max_length=255, db_index=True, editable=False)
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    boundary = models.JSONField(
        _("boundary (GeoJSON)"), null=True, blank=True, validators=[validate_geojson_geometry]
    )

    objects = RegionQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return _localised(self)

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        path = (self.parent.path if self.parent else "/") + f"{self.pk}/"
        if path != self.path:
            self.path = path
            Region.objects.filter(pk=self.pk).update(path=path)

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2

    def ancestors(self) -> list[Region]:
        """From the root down to this region (inclusive)."""
        ids = [int(part) for part in self.path.strip("/").split("/") if part]
        by_id = Region.objects.in_bulk(ids)
        return [by_id[i] for i in ids if i in by_id]


class ChemicalParkQuerySet(RegionScopedQuerySet):
    def scope_filter(self, scope: Scope) -> models.Q:
        # A park in the user's regions, or one that holds a unit the user may see.
        holding = Enterprise.objects.filter(scope.enterprise_q()).values("chemical_park_id")
        return scope.region_q("region__") | models.Q(pk__in=holding)


class ChemicalPark(models.Model):
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT)
    managing_body = models.ForeignKey(
        "Organisation",
        verbose_name=_("managing body"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="managed_parks",
    )
    boundary = models.JSONField(
        _("boundary (GeoJSON)"), null=True, blank=True, validators=[validate_geojson_geometry]
    )

    objects = ChemicalParkQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("chemical park")
        verbose_name_plural = _("chemical parks")

    def __str__(self) -> str:
        return _localised(self)


class EnterpriseQuerySet(ScopedQuerySet):
    enterprise_path = ""

    def active(self) -> Self:
        return self.filter(is_archived=False)

    def in_sector(self, sector: str) -> Self:
        return self.filter(in_sectors_q([sector]))


def in_sectors_q(sectors: Iterable[str], path: str = "") -> models.Q:
    """Units in any of these sectors, reached through `path` ("" from Enterprise itself,
    "enterprise__" from a record of a unit): an `IN` subquery over `EnterpriseSector` that
    its (sector, enterprise) index serves on any database."""
    chosen = sorted(set(sectors))
    if not chosen:
        return models.Q(pk__in=[])
    units = EnterpriseSector.objects.filter(sector__in=chosen).values("enterprise_id")
    return models.Q(**{f"{path}id__in": units})


class Enterprise(models.Model):
    """A registered unit: an enterprise, or a key place for public health."""

    # Searched with icontains: a trigram index serves it on PostgreSQL (migration 0003).
    name = models.CharField(_("name"), max_length=200, db_index=True)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        validators=[validate_credit_code],
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=UnitKind.choices, default=UnitKind.ENTERPRISE
    )
    # Sector codes as ",hazchem,fire," (what is read, shown and logged); filters read the
    # unit's `EnterpriseSector` rows, kept in step by `save()` (bulk writes call `sync`).
    sectors = models.CharField(_("sectors"), max_length=120)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT)
    chemical_park = models.ForeignKey(
        ChemicalPark,
        verbose_name=_("chemical park"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="enterprises",
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    headcount = models.PositiveIntegerField(_("headcount"), default=0)
    # 安全生产标准化等级 (grade 1 is the best); empty: not graded. The inspection planner's
    # frequency caps follow it.
    standardisation_grade = models.PositiveSmallIntegerField(
        _("safety standardisation grade"),
        null=True,
        blank=True,
        choices=[(1, _("Grade 1")), (2, _("Grade 2")), (3, _("Grade 3"))],
    )
    status = models.CharField(
        _("status"), max_length=16, choices=UnitStatus.choices, default=UnitStatus.OPERATING
    )
    is_archived = models.BooleanField(_("archived"), default=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["region", "name"])]
        verbose_name = _("enterprise / unit")
        verbose_name_plural = _("enterprises / units")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        fields = kwargs.get("update_fields")
        if fields is None or "sectors" in fields:
            EnterpriseSector.sync([self])

    @property
    def sector_list(self) -> list[str]:
        return [s for s in self.sectors.split(",") if s]

    @sector_list.setter
    def sector_list(self, values: list[str]) -> None:
        self.sectors = Sector.text(values)

    @classmethod
    def audit_display(cls, field: str, value: Any) -> str | None:
        """A logged value for people (`redline.core.changelog`): sectors by their names."""
        from redline.core.changelog import join

        if field == "sectors" and isinstance(value, str | list):
            codes = value.split(",") if isinstance(value, str) else value
            labels = dict(Sector.choices)
            return join(labels.get(s, s) for s in codes if s)
        return None

    def get_sector_labels(self) -> list[str]:
        labels = dict(Sector.choices)
        return [str(labels[s]) for s in self.sector_list if s in labels]

    def clean(self) -> None:
        unknown = [s for s in self.sector_list if s not in Sector.values]
        if not self.sector_list:
            raise ValidationError({"sectors": _("Choose at least one sector.")})
        if unknown:
            raise ValidationError({"sectors": _("Unknown sector: %s") % ", ".join(unknown)})
        if (self.latitude is None) != (self.longitude is None):
            field = "latitude" if self.latitude is None else "longitude"
            raise ValidationError({field: _("Give both latitude and longitude, or neither.")})
        if self.chemical_park is not None and self.region_id:
            park_region = self.chemical_park.region
            if not self.region.path.startswith(park_region.path):
                raise ValidationError(
                    {"chemical_park": _("The chemical park lies outside the unit's region.")}
                )


class SectorRow(models.Model):
    """One sector of a record (a unit, a campaign, ...), one row each: sector filters read
    these rows through an index on (sector, record), on SQLite and PostgreSQL alike. A
    record's rows follow its `sector_list` (`sync`)."""

    owner: ClassVar[str]  # the foreign key to the record
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{getattr(self, f'{self.owner}_id')} {self.sector}"

    @staticmethod
    def owner_field(model: type[models.Model]) -> models.ForeignKey[Any, Any]:
        # No index of its own: the unique (record, sector) index serves a record's rows.
        return models.ForeignKey(
            model, on_delete=models.CASCADE, related_name="sector_rows", db_index=False
        )

    @staticmethod
    def keys(owner: str) -> tuple[list[models.BaseConstraint], list[models.Index]]:
        """A record's sector once; a sector's records from the (sector, record) index."""
        once = models.UniqueConstraint(fields=[owner, "sector"], name=f"{owner}_sector_once")
        lookup = models.Index(fields=["sector", owner], name=f"{owner}_sector_lookup")
        return [once], [lookup]

    @classmethod
    def sync(cls, records: Iterable[Any]) -> None:
        """Make the (saved) records' rows match their `sector_list`: rows of sectors a record
        left are deleted, those of new ones inserted; a batch of records at once."""
        records = [r for r in records if r.pk is not None]
        if not records:
            return
        key = f"{cls.owner}_id"
        wanted = {(r.pk, s) for r in records for s in r.sector_list}
        rows = cls._default_manager.filter(**{f"{key}__in": [r.pk for r in records]})
        held = set(rows.values_list(key, "sector"))
        gone: dict[int, list[str]] = {}
        for record_id, sector in held - wanted:
            gone.setdefault(record_id, []).append(sector)
        for record_id, sectors in gone.items():
            cls._default_manager.filter(**{key: record_id, "sector__in": sectors}).delete()
        cls._default_manager.bulk_create(
            [cls(**{key: r, "sector": s}) for r, s in sorted(wanted - held)],
            ignore_conflicts=True,
        )


class EnterpriseSector(SectorRow):
    """One sector of a unit: what the jurisdiction door and sector filters read
    (`in_sectors_q`)."""

    owner = "enterprise"
    enterprise = SectorRow.owner_field(Enterprise)

    class Meta:
        verbose_name = _("sector of a unit")
        verbose_name_plural = _("sectors of units")
        constraints, indexes = SectorRow.keys("enterprise")


class OrganisationQuerySet(ScopedQuerySet):
    def scope_filter(self, scope: Scope) -> models.Q:
        # Government bodies form a public directory signed-in users read (`directory`); an
        # enterprise's organisation follows the enterprise's jurisdiction.
        directory = models.Q(enterprise__isnull=True) if scope.directory else models.Q(pk__in=[])
        return directory | scope.enterprise_q("enterprise__")


class Organisation(models.Model):
    """A body users belong to: a government, the Safety Committee office, a department,
    a public-health body, or an enterprise/unit."""

    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices)
    department_type = models.CharField(
        _("department type"), max_length=20, choices=DepartmentType.choices, blank=True
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="organisations"
    )
    enterprise = models.OneToOneField(
        Enterprise,
        verbose_name=_("enterprise / unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organisation",
    )
    is_archived = models.BooleanField(_("archived"), default=False)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["region__path", "kind", "name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return _localised(self)

    @property
    def level(self) -> str:
        """city | district | subdistrict | enterprise: the level the organisation acts at."""
        return "enterprise" if self.kind == OrganisationKind.ENTERPRISE else self.region.level

    def clean(self) -> None:
        if self.kind == OrganisationKind.DEPARTMENT and not self.department_type:
            raise ValidationError({"department_type": _("A department needs its type.")})
        if self.kind == OrganisationKind.ENTERPRISE and not self.enterprise_id:
            raise ValidationError({"enterprise": _("An enterprise organisation needs its unit.")})


class SectorMandate(models.Model):
    """A department supervises a sector (or a kind of key place) in a region subtree."""

    department = models.ForeignKey(
        Organisation,
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        related_name="mandates",
        limit_choices_to={"kind": OrganisationKind.DEPARTMENT},
    )
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices, blank=True)
    unit_kind = models.CharField(
        _("kind of unit"), max_length=20, choices=UnitKind.choices, blank=True
    )

    class Meta:
        verbose_name = _("sector mandate")
        verbose_name_plural = _("sector mandates")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(sector="") & ~models.Q(unit_kind=""))
                | (~models.Q(sector="") & models.Q(unit_kind="")),
                name="mandate_sector_xor_kind",
            )
        ]

    def __str__(self) -> str:
        what = self.get_sector_display() if self.sector else self.get_unit_kind_display()
        return f"{self.department} · {what} · {self.region}"


class PersonQuerySet(ScopedQuerySet):
    enterprise_path = "enterprise__"

    def scope_filter(self, scope: Scope) -> models.Q:
        # Government contacts are a public directory signed-in users read (`directory`); an
        # enterprise's people follow the enterprise's jurisdiction.
        contacts = models.Q(enterprise__isnull=True, organisation__isnull=False)
        directory = contacts if scope.directory else models.Q(pk__in=[])
        return directory | scope.enterprise_q("enterprise__")


class Person(models.Model):
    name = models.CharField(pgettext_lazy("person", "name"), max_length=100)
    role = models.CharField(_("role"), max_length=20, choices=PersonRole.choices)
    post = models.CharField(_("post"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise / unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="people",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contacts",
    )
    is_archived = models.BooleanField(_("archived"), default=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["role", "name", "id"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(enterprise__isnull=False) | models.Q(organisation__isnull=False),
                name="person_belongs_somewhere",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"

    def clean(self) -> None:
        if self.role == PersonRole.GOVERNMENT_CONTACT and not self.organisation_id:
            raise ValidationError(
                {"organisation": _("A government contact needs an organisation.")}
            )
        if self.role != PersonRole.GOVERNMENT_CONTACT and not self.enterprise_id:
            raise ValidationError({"enterprise": _("This role belongs to an enterprise or unit.")})
        if self.role == PersonRole.POST_HOLDER and not self.post:
            raise ValidationError({"post": _("Name the post this person holds.")})
