"""The client address (operations.md section 6): the socket's peer, or, when the peer is
a trusted proxy, the right-most X-Forwarded-For address that is not itself trusted."""

import pytest
from django.test import RequestFactory

from access.clients import client_address
from tests.support.factories import issue_key

WINDOW = {"from": "2020-10-10 07:00:00", "to": "2020-10-10 08:00:00"}


def address(peer: str, forwarded: str | None = None) -> str:
    headers = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    return client_address(RequestFactory().get("/", REMOTE_ADDR=peer, **headers))


def test_without_trusted_proxies_the_peer_is_the_client_whatever_the_header_says(settings):
    settings.TRUSTED_PROXIES = []
    assert address("198.51.100.7", "203.0.113.1") == "198.51.100.7"


def test_a_header_from_an_untrusted_peer_is_ignored(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert address("198.51.100.7", "203.0.113.1") == "198.51.100.7"


def test_behind_a_trusted_proxy_the_client_is_the_right_most_untrusted_address(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "2001:db8:1::/48"]
    # The client wrote the first two entries itself; 10.1.1.1 is a second proxy of ours.
    assert address("10.0.0.2", "1.2.3.4, 203.0.113.9, 10.1.1.1") == "203.0.113.9"
    assert address("2001:db8:1::5", "2001:db8:2::9") == "2001:db8:2::9"


def test_behind_a_trusted_proxy_without_the_header_the_proxy_is_the_client(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert address("10.0.0.2") == "10.0.0.2"


def test_garbage_in_the_header_is_the_client_and_matches_no_network(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert address("10.0.0.2", "203.0.113.9, not-an-address") == "not-an-address"


def test_an_ipv4_mapped_peer_counts_as_its_ipv4_address(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1/32"]
    assert address("::ffff:127.0.0.1", "203.0.113.9") == "203.0.113.9"


@pytest.mark.django_db
def test_an_address_rule_sees_the_client_behind_a_trusted_proxy(settings, client):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    _, secret = issue_key(networks=["203.0.113.0/24"])
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}", "REMOTE_ADDR": "127.0.0.1"}
    assert client.get("/api/users", WINDOW, HTTP_X_FORWARDED_FOR="203.0.113.9", **headers).status_code == 200
    assert client.get("/api/users", WINDOW, HTTP_X_FORWARDED_FOR="198.51.100.1", **headers).status_code == 403
    # Spoofing: the client prepends an allowed address; the proxy appends the real one.
    spoofed = client.get("/api/users", WINDOW, HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.1", **headers)
    assert spoofed.status_code == 403
    settings.TRUSTED_PROXIES = []
    assert client.get("/api/users", WINDOW, HTTP_X_FORWARDED_FOR="203.0.113.9", **headers).status_code == 403
