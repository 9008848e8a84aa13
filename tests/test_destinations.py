"""Where a sink may send a credential: the rules of driftguard.destinations, judged on addresses and
URLs as start-up and every connection see them."""

from __future__ import annotations

import pytest

from driftguard.destinations import RefusedDestination, check_address, check_destination, check_url, parse_private_host

NAMED = frozenset({"jira.corp.contoso.com", "10.0.0.7"})

# Never a ticket system, named or not.
NEVER = [
    "169.254.169.254",  # the instance metadata endpoint
    "::ffff:169.254.169.254",  # the same, IPv4-mapped
    "64:ff9b::a9fe:a9fe",  # the same, through NAT64
    "2002:a9fe:a9fe::1",  # the same, through 6to4
    "fe80::1",
    "fe80::1%2",
    "0.0.0.0",
    "::",
    "224.0.0.1",
    "ff02::1",
    "240.0.0.1",
    "255.255.255.255",
    "168.63.129.16",  # Azure's platform address: public in form only
]
# Not public: refused unless the host is named.
PRIVATE = [
    "127.0.0.1",
    "127.1.2.3",
    "::1",
    "::ffff:127.0.0.1",
    "::127.0.0.1",
    "2002:7f00:1::",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "100.64.0.1",  # shared address space (CGNAT)
    "fc00::1",
    "fd00:ec2::254",
    "fec0::1",
    "::ffff:10.0.0.1",
    "192.0.2.1",  # documentation
    "2001:db8::1",
]
PUBLIC = ["20.50.2.1", "140.82.112.3", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]


@pytest.mark.parametrize("address", NEVER)
def test_addresses_that_are_never_a_ticket_system(address: str) -> None:
    for host in ("api.github.com", "jira.corp.contoso.com"):  # named or not
        with pytest.raises(RefusedDestination, match=r"resolves to .*, (a|an|Azure)"):
            check_address(host, address, NAMED)


@pytest.mark.parametrize("address", PRIVATE)
def test_private_addresses_only_for_a_named_host(address: str) -> None:
    with pytest.raises(RefusedDestination, match="DRIFTGUARD_SINK_PRIVATE_HOSTS"):
        check_address("api.github.com", address, NAMED)
    check_address("jira.corp.contoso.com", address, NAMED)
    check_address("JIRA.corp.contoso.com.", address, NAMED)  # the same host, as DNS may spell it


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    check_address("api.github.com", address, frozenset())


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://api.github.com", "https"),
        ("ftp://api.github.com", "https"),
        ("https://user:s3cr3t@api.github.com/x", "user info"),
        ("https://api.github.com@169.254.169.254/x", "user info"),
        ("https:///path", "no host"),
        ("https://api.github.com:99999/", "not a valid URL"),
        ("https://api.github.com:0/", "port 0"),
    ],
)
def test_urls_of_a_shape_no_credential_goes_to(url: str, reason: str) -> None:
    with pytest.raises(RefusedDestination, match=reason) as refused:
        check_url(url)
    assert "s3cr3t" not in str(refused.value)  # the message never quotes the URL


def test_what_start_up_can_judge_without_resolving() -> None:
    assert check_destination("https://api.github.com/repos", frozenset()).hostname == "api.github.com"
    check_destination("https://prod-01.westeurope.logic.azure.com:443/workflows/x?sig=s", frozenset())  # a name: judged when resolved
    for url in ("https://127.0.0.1:8443/x", "https://[::1]/x", "https://localhost/x", "https://a.localhost./x", "https://10.0.0.8/"):
        with pytest.raises(RefusedDestination, match="DRIFTGUARD_SINK_PRIVATE_HOSTS"):
            check_destination(url, NAMED)
    check_destination("https://10.0.0.7/rest", NAMED)
    with pytest.raises(RefusedDestination, match="link-local"):
        check_destination("https://169.254.169.254/metadata", NAMED)


def test_private_host_entries_are_exact_hosts() -> None:
    assert parse_private_host(" Jira.Corp.Contoso.COM. ") == "jira.corp.contoso.com"
    assert parse_private_host("[::1]") == "::1"
    assert parse_private_host("127.0.0.1") == "127.0.0.1"
    for bad in ("*.corp.contoso.com", "https://jira.corp", "jira.corp:443", "", "jira corp"):
        with pytest.raises(ValueError, match="exact hosts only"):
            parse_private_host(bad)
    with pytest.raises(ValueError, match="never a ticket system"):
        parse_private_host("169.254.169.254")
