"""Webhook URLs must not reach into the company's own network (SSRF).

A URL is refused unless it is http(s) and every address its host resolves to is a public
one; hosts named in `NOTIFICATIONS_WEBHOOK_ALLOWED_HOSTS` are exempt (tests, on-premises
receivers). Resolution is checked when the endpoint is saved and again before each attempt.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit


class UnsafeUrl(ValueError):
    pass


def split_url(url: str) -> tuple[str, int]:
    """(host, port) of an acceptable webhook URL, else UnsafeUrl."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl(f"not a valid URL: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl("the URL must start with https:// (or http://)")
    if not parts.hostname:
        raise UnsafeUrl("the URL has no host")
    if parts.username or parts.password:
        raise UnsafeUrl("credentials in the URL are not allowed; use the signing secret")
    return parts.hostname.lower(), port or (443 if parts.scheme == "https" else 80)


def address_problem(address: str) -> str | None:
    """Why a resolved address may not be called, or None for a public one."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return f"{ip} is a loopback address"
    if ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return f"{ip} is not a unicast address"
    if ip.is_link_local:
        return f"{ip} is a link-local address"
    if not ip.is_global:
        return f"{ip} is a private address"
    return None


def check_addresses(host: str, addresses: Iterable[str], allowed_hosts: Iterable[str]) -> None:
    if host in {h.lower() for h in allowed_hosts}:
        return
    found = list(addresses)
    if not found:
        raise UnsafeUrl(f"{host} does not resolve")
    for address in found:
        problem = address_problem(address)
        if problem is not None:
            raise UnsafeUrl(f"{host} resolves to {address}: {problem}")
