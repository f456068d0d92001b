"""Who am I, and my personal API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from redline.accounts import services
from redline.accounts.models import ApiToken
from redline.core.web import UserRequest

router = Router(tags=["accounts"])


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    organisation_id: int | None
    organisation: str | None
    level: str | None
    roles: list[str]


class TokenOut(Schema):
    id: int
    name: str
    hint: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenIn(Schema):
    name: str


class NewTokenOut(TokenOut):
    key: str


@router.get("/me", response=MeOut)
def me(request: UserRequest) -> dict[str, Any]:
    user = request.user
    org = user.organisation
    return {
        "id": user.pk,
        "username": user.get_username(),
        "full_name": user.get_full_name(),
        "organisation_id": org.pk if org else None,
        "organisation": str(org) if org else None,
        "level": org.level if org else None,
        "roles": list(user.roles),
    }


@router.get("/tokens", response=list[TokenOut])
def list_tokens(request: UserRequest) -> Any:
    return ApiToken.objects.filter(user=request.user)


@router.post("/tokens", response={201: NewTokenOut})
def create_token(request: UserRequest, payload: TokenIn) -> Status:
    token, key = services.token_issue(actor=request.user, name=payload.name)
    data = TokenOut.from_orm(token).dict()
    data["key"] = key
    return Status(201, data)


@router.post("/tokens/{token_id}/revoke", response=TokenOut)
def revoke_token(request: UserRequest, token_id: int) -> ApiToken:
    token = get_object_or_404(ApiToken.objects.filter(user=request.user), pk=token_id)
    return services.token_revoke(actor=request.user, token=token)
