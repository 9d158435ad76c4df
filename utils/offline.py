"""A guard that makes any attempt to reach the network fail loudly, at once, with a message that
says what to do, instead of a long time-out or a deep Hub traceback.

``setup()`` installs it whenever the course runs offline (the default). Connections to this
machine (127.0.0.0/8, ::1, Unix sockets) stay allowed: Jupyter and local servers use them.
"""

from __future__ import annotations

import ipaddress
import socket

_original_connect = socket.socket.connect
_original_connect_ex = socket.socket.connect_ex
_original_getaddrinfo = socket.getaddrinfo


class OfflineError(ConnectionError):
    """Raised on an outbound connection while the course runs offline."""


def _is_local(host) -> bool:
    if host in (None, "", "localhost"):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _blocked(host, port=None) -> OfflineError:
    where = f"{host}:{port}" if port is not None else str(host)
    return OfflineError(
        f"Blocked a network connection to {where}: the course runs offline. Use the course's "
        "checkpoints (utils.checkpoint('encoder'), 'sentiment', 'korean-tokenizer') instead of "
        "Hub names; if an offline asset is missing, build it with: python -m utils.assets build. "
        "To use the Hub on purpose, set COURSE_ONLINE=1 before setup().")


def _guarded_connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
        raise _blocked(*address[:2])
    return _original_connect(self, address)


def _guarded_connect_ex(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
        raise _blocked(*address[:2])
    return _original_connect_ex(self, address)


def _guarded_getaddrinfo(host, port, *args, **kwargs):
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not _is_local(host):
        raise _blocked(host, port)
    return _original_getaddrinfo(host, port, *args, **kwargs)


def install() -> None:
    """Block outbound connections in this process (idempotent)."""
    socket.socket.connect = _guarded_connect
    socket.socket.connect_ex = _guarded_connect_ex
    socket.getaddrinfo = _guarded_getaddrinfo


def uninstall() -> None:
    socket.socket.connect = _original_connect
    socket.socket.connect_ex = _original_connect_ex
    socket.getaddrinfo = _original_getaddrinfo


def installed() -> bool:
    return socket.socket.connect is _guarded_connect
