"""Where DriftGuard may send a credential: over https, to a host on the public internet, or to a private
host the operator names (`DRIFTGUARD_SINK_PRIVATE_HOSTS`).

A ticket system's URL comes from a setting or a secret, which a mistake or an attacker can point at the
instance metadata endpoint, the app's own network or its loopback: every sink request then carries a
token there. The rules are pure (no I/O), so that start-up (the URL as written) and every connection
(the addresses the name resolves to at that moment) judge by the same code.

Some addresses are never a ticket system, named or not: link-local (169.254.169.254, the instance
metadata endpoint, is one), unspecified, multicast, reserved, and Azure's platform address. Naming a
host lifts only the private, loopback and shared (CGNAT) ranges, for a ticket system on the company
network (or a test's stand-in on 127.0.0.1).
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import SplitResult, urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Azure's virtual public IP of the host (WireServer, DNS, health probes): public in form only.
AZURE_PLATFORM = ipaddress.IPv4Address("168.63.129.16")
SHARED = ipaddress.IPv4Network("100.64.0.0/10")  # carrier-grade NAT: Python counts it neither private nor global
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
HOST_NAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*")


class RefusedDestination(ValueError):
    """A URL or an address DriftGuard sends nothing to. The message names the host, never the URL
    (for Teams and webhooks the URL itself is the secret)."""


def check_url(url: str) -> SplitResult:
    """The URL's parts, if its form is one a credential may go to: https, a host, no user info."""
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a port that is not a number in range
    except ValueError as e:
        raise RefusedDestination("not a valid URL") from e
    if parts.scheme.lower() != "https":
        raise RefusedDestination("must be an https:// URL (credentials are never sent over plain HTTP)")
    if "@" in parts.netloc:
        # `https://good.example@evil.example/` goes to evil.example; no ticket API takes credentials there.
        raise RefusedDestination("must not carry user info (user:password@) before the host")
    if not parts.hostname:
        raise RefusedDestination("has no host")
    if port == 0:
        raise RefusedDestination("port 0 is not a port")
    return parts


def normal_host(host: str) -> str:
    """A host as compared with the allowed private hosts: lower case, no trailing dot, no brackets."""
    return host.strip().strip("[]").rstrip(".").lower()


def parse_private_host(value: str) -> str:
    """One entry of DRIFTGUARD_SINK_PRIVATE_HOSTS: an exact host name or IP address (no wildcard, no
    scheme, no port), which may then resolve to a private address."""
    host = normal_host(value)
    address = _address(host)
    if address is not None:
        never = _never(address)
        if never:
            raise ValueError(f"{value!r} is {never}, which is never a ticket system")
        return str(address)
    if not HOST_NAME.fullmatch(host):
        raise ValueError(f"{value!r} is not a host name or an IP address (exact hosts only: no scheme, port or wildcard)")
    return host


def check_host(host: str, private_hosts: frozenset[str]) -> None:
    """What can be judged of a host without resolving it: an IP address, or a name that is loopback
    by definition (RFC 6761). Start-up uses this; each connection then checks the resolved addresses."""
    name = normal_host(host)
    address = _address(name)
    if address is not None:
        check_address(name, address, private_hosts)
    elif (name == "localhost" or name.endswith(".localhost")) and name not in private_hosts:
        raise RefusedDestination(f"host {name} is loopback; name it in DRIFTGUARD_SINK_PRIVATE_HOSTS to allow it")


def check_destination(url: str, private_hosts: frozenset[str]) -> SplitResult:
    """`check_url` and `check_host`: a URL as written in a setting or a secret."""
    parts = check_url(url)
    check_host(parts.hostname or "", private_hosts)
    return parts


def check_address(host: str, address: Address | str, private_hosts: frozenset[str]) -> None:
    """Refuses an address `host` resolved to (or is) unless it is public, or it is private and the
    operator named `host`."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    never = _never(ip)
    if never:
        raise RefusedDestination(f"host {normal_host(host)} resolves to {ip}, {never}")
    private = _private(ip)
    if private and normal_host(host) not in private_hosts:
        raise RefusedDestination(
            f"host {normal_host(host)} resolves to {ip}, {private}; name it in DRIFTGUARD_SINK_PRIVATE_HOSTS to allow it"
        )


def _address(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, Teredo, NAT64, compatible): the IPv4
    rules apply to it, or ::ffff:127.0.0.1 would be loopback in disguise."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in NAT64 or (ip in IPV4_COMPATIBLE and int(ip) > 1):  # ::1 and :: are IPv6's own loopback and unspecified
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _never(ip: Address) -> str | None:
    """Why no ticket system can be at this address, named or not (None: it may be)."""
    if isinstance(ip, ipaddress.IPv6Address) and (inner := _embedded_ipv4(ip)) is not None:
        return _never(inner)
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_link_local:
        return "a link-local address (the instance metadata endpoint is one)"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_reserved and not ip.is_loopback:  # ::1 lies in IPv6's reserved ::/8
        return "a reserved address"
    if ip == AZURE_PLATFORM:
        return "Azure's platform address"
    return None


def _private(ip: Address) -> str | None:
    """Why the address is not on the public internet (None: it is)."""
    if isinstance(ip, ipaddress.IPv6Address) and (inner := _embedded_ipv4(ip)) is not None:
        return _private(inner)
    if ip.is_loopback:
        return "a loopback address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in SHARED:
        return "a shared (carrier-grade NAT) address"
    if ip.is_private or not ip.is_global or (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local):
        return "a private address"
    return None
