"""The client's address behind a proxy: taken from X-Forwarded-For only when the peer is a
trusted proxy, the nearest untrusted hop; a client cannot choose its own address."""

from __future__ import annotations

import pytest
from django.test import RequestFactory, override_settings

from redline.core.middleware import client_ip


def ip(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **extra))


@override_settings(REDLINE_FORWARDED_ALLOW_IPS=["127.0.0.1", "10.0.0.2"])
@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("203.0.113.9", None, "203.0.113.9"),  # no proxy
        ("203.0.113.9", "1.2.3.4", "203.0.113.9"),  # not a proxy: its header is ignored
        ("127.0.0.1", "198.51.100.7", "198.51.100.7"),  # through the proxy
        ("127.0.0.1", None, "127.0.0.1"),
        # What the client wrote itself comes first; the proxy appended the real address.
        ("127.0.0.1", "6.6.6.6, 198.51.100.7", "198.51.100.7"),
        # Two trusted proxies in a row.
        ("127.0.0.1", "198.51.100.7, 10.0.0.2", "198.51.100.7"),
        ("127.0.0.1", "not-an-address", "127.0.0.1"),
        ("127.0.0.1", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_the_client_address(remote, forwarded, expected):
    assert ip(remote, forwarded) == expected
