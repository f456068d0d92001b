"""The check every list's filter tests share: a bad value is refused naming the filter."""

from __future__ import annotations

from typing import Any


def assert_refused_naming(client: Any, field: str, page: str, api: str | None = None) -> None:
    """The page answers 422 with the field marked (`core/refused.html`); the API, when given,
    400 or 422 naming it."""
    answer = client.get(page)
    assert answer.status_code == 422, (page, answer.status_code)
    assert f'data-field="{field}"' in answer.content.decode()
    if api is not None:
        refused = client.get(api)
        assert refused.status_code in (400, 422), (api, refused.status_code)
        assert field in refused.content.decode()
