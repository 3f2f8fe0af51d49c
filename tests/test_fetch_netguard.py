"""Address safety rules: which addresses a feed may reach, and the allow list."""

from __future__ import annotations

import ipaddress

import pytest

from reader.exceptions import BlockedAddressError
from reader.fetch.netguard import authority, is_allowed, is_public_address, vetted_addresses


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.0.0.2",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))


def test_allow_entries_are_exact_host_and_port() -> None:
    loopback = ipaddress.ip_address("127.0.0.1")
    allow = frozenset({"127.0.0.1:8080", "feeds.local:80", "[::1]:8080"})
    assert is_allowed(loopback, "127.0.0.1", 8080, allow)
    assert not is_allowed(loopback, "127.0.0.1", 8081, allow)
    assert is_allowed(loopback, "feeds.local", 80, allow)
    assert is_allowed(ipaddress.ip_address("::1"), "::1", 8080, allow)
    assert authority("[::1]", 8080) == "[::1]:8080"


async def test_vetting_a_literal_private_address_names_the_allow_setting() -> None:
    with pytest.raises(BlockedAddressError, match=r'allow = \["10\.0\.0\.1:80"\]'):
        await vetted_addresses("10.0.0.1", 80, frozenset())
    assert await vetted_addresses("10.0.0.1", 80, frozenset({"10.0.0.1:80"})) == [
        ipaddress.ip_address("10.0.0.1")
    ]
