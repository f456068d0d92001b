"""Pagination shared by every list endpoint: `page`, `page_size`, and the list shape."""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from ninja import Schema


class PageParams(Schema):
    page: int = 1
    page_size: int = settings.REDLINE_PAGE_SIZE


def paginate(queryset: Any, params: PageParams) -> dict[str, Any]:
    """One page of a list, in the API's list shape."""
    size = max(1, min(params.page_size, settings.REDLINE_API_MAX_PAGE_SIZE))
    count = queryset.count()
    pages = max(1, math.ceil(count / size))
    page = max(1, params.page)
    start = (page - 1) * size
    # A page past the end is empty without asking the database (whose offset may not hold it).
    items = list(queryset[start : start + size]) if start < count else []
    return {
        "items": items,
        "count": count,
        "page": page,
        "page_size": size,
        "pages": pages,
    }
