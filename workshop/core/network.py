"""Addresses: which one phones should open (the base of every join link and QR
code), and which pages may open a live connection."""

import ipaddress
import socket
from urllib.parse import urlsplit

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def is_loopback_host(host):
    """True for localhost and 127.0.0.0/8 or ::1, with or without a port."""
    name = host.strip()
    if name.startswith("["):  # [::1]:5000
        name = name[1:].split("]", 1)[0]
    elif name.count(":") == 1:  # 127.0.0.1:5000
        name = name.split(":", 1)[0]
    if name.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def lan_address():
    """This machine's address on its local network, or None if it has none.

    Connecting a UDP socket sends no packet: it only asks the kernel which
    local address it would route from.
    """
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))
        address = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if ipaddress.ip_address(address).is_loopback else address


def public_base_url(configured, request_host_url, port):
    """The base URL phones should use, without a trailing slash.

    PUBLIC_BASE_URL wins; then the address the organizer's own browser used,
    unless that is localhost (a phone cannot open the laptop's localhost);
    then the machine's LAN address.
    """
    if configured:
        return configured.rstrip("/")
    if request_host_url:
        host = request_host_url.split("://", 1)[-1].split("/", 1)[0]
        if not is_loopback_host(host):
            return request_host_url.rstrip("/")
    address = lan_address()
    if address is None:
        return request_host_url.rstrip("/") if request_host_url else f"http://127.0.0.1:{port}"
    return f"http://{address}:{port}"


def origin_of(url):
    """scheme://host[:port] of a URL, as browsers send it in the Origin header."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else None


def socket_origin_check(public_base_url_setting, extra_origins):
    """Which pages may open a Socket.IO connection: the app's own (the address
    the browser used, and PUBLIC_BASE_URL) and the extra origins listed in the
    settings; never another site's page, which would ride on the visitor's
    cookies (cross-site WebSocket hijacking)."""
    allowed = {origin_of(url) for url in [public_base_url_setting, *extra_origins] if url and origin_of(url)}

    def is_allowed(origin, environ):
        if origin is None:  # not a browser: no cookies of a visitor to ride on
            return True
        origin = origin.lower()
        own = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}".lower()
        return origin == own or origin in allowed

    return is_allowed
