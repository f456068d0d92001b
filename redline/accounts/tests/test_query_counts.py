"""A user's API tokens (page and API list) cost the same number of queries with a few
tokens as with many (STYLE.md)."""

from __future__ import annotations

import itertools

import pytest

from redline.accounts import services
from redline.accounts.models import ApiToken, User
from redline.conftest import login
from redline.core.tests.queries import assert_flat

pytestmark = pytest.mark.django_db

serial = itertools.count(1)


@pytest.mark.parametrize("url", ["/accounts/tokens/", "/api/v1/tokens"])
def test_the_tokens_cost_the_same_for_more_of_them(client, world, url):
    me = User.objects.get(username="d1-operator")
    login(client, "d1-operator")

    def grow(step: int) -> list[str]:
        shown = []
        for k in range(1 if step == 0 else 3):
            token, _key = services.token_issue(actor=me, name=f"QA令牌{next(serial)}")
            if k == 1:
                services.token_revoke(actor=me, token=token)
            shown.append(token.name)
        return shown

    assert_flat(client, url, grow)
    assert ApiToken.objects.filter(user=me).count() == 10
