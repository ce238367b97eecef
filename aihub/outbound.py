"""The one way the app makes outbound HTTP requests (MLflow sources, webhooks).

A user-supplied URL could otherwise reach what only the server can: cloud metadata
(169.254.169.254), the database, Redis, admin ports on loopback, the private network. So:

- `check_url(url)` validates a URL when it is registered: http or https only, no userinfo,
  no query-string tricks in the host; the host is resolved and *every* address must be
  public. Loopback, link-local, private (RFC 1918, fc00::/7), shared (100.64.0.0/10),
  multicast, unspecified and reserved addresses are refused, also when written as decimal,
  octal or hex numbers or as IPv4-mapped, 6to4 or NAT64 IPv6 addresses (every spelling is
  resolved by getaddrinfo and judged by `ipaddress`). It raises `OutboundRefused` with a
  reason a person can act on.
- Exceptions an operator makes: the host and port of `MLFLOW_TRACKING_URI`, and each entry of
  `AIHUB_OUTBOUND_ALLOWED_HOSTS` (comma separated: `host`, `host:port`, an IP address or a
  CIDR range, optionally with `:port`; IPv6 in brackets with a port: `[fd00::1]:5000`).
- `session()` / `request()` enforce the same rules again when each connection is opened: the
  host is resolved once more, every address checked, and the socket connects to one of those
  checked addresses (Host header and TLS SNI keep the name), so a DNS answer that changes
  between the check and the connection (DNS rebinding) cannot reach a refused address.
  Redirects are never followed. Proxies and ~/.netrc from the environment are ignored.
  Connect timeout `AIHUB_OUTBOUND_CONNECT_TIMEOUT` (3 s), read timeout
  `AIHUB_OUTBOUND_READ_TIMEOUT` (20 s), at most `AIHUB_OUTBOUND_MAX_RESPONSE_BYTES` read.
- Failures are `OutboundFailed` with a `kind` (`dns`, `refused`, `timeout`, `tls`,
  `connection`, `redirect`, `too_large`) and a message naming what failed, never the body
  of the target's answer. A refused target is refused before any connection is attempted,
  so open and closed ports of refused hosts look the same.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import sys
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection as urllib3_connection
from urllib3.util import parse_url
from urllib3.util.retry import Retry

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_PORTS = {"http": 80, "https": 443}
SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT
NAT64 = ipaddress.ip_network("64:ff9b::/96")

__all__ = ["OutboundError", "OutboundFailed", "OutboundRefused", "Retry", "Target", "check_url", "request", "session"]


class OutboundError(Exception):
    """An outbound request did not happen or did not complete; str() says why."""


class OutboundRefused(OutboundError):
    """The target is not allowed (nothing was sent)."""


class OutboundFailed(OutboundError):
    """The target is allowed but the request failed: `kind` names the failure class."""

    def __init__(self, message: str, *, kind: str, status: int | None = None):
        super().__init__(message)
        self.kind = kind
        self.status = status


# -- policy ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Policy:
    names: tuple[tuple[str, int | None], ...] = ()  # (host name, port or None for any)
    networks: tuple[tuple[IPNetwork, int | None], ...] = ()

    def name_allowed(self, host: str, port: int) -> bool:
        return any(name == host and (allowed is None or allowed == port) for name, allowed in self.names)

    def address_allowed(self, address: IPAddress, port: int) -> bool:
        candidates = [address]
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            candidates.append(address.ipv4_mapped)
        return any(
            candidate.version == network.version and candidate in network and (allowed is None or allowed == port)
            for candidate in candidates
            for network, allowed in self.networks
        )


def _normalise_host(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def _split_entry(entry: str) -> tuple[str, int | None]:
    """`host`, `host:port`, `1.2.3.4/8`, `1.2.3.4/8:5000`, `fd00::/8`, `[fd00::1]:5000`."""
    entry = entry.strip()
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") and rest[1:] else None
    if entry.count(":") == 1:
        host, _, port = entry.partition(":")
        return host, int(port)
    return entry, None  # a name, an IPv4 address or range, or a bare IPv6 address or range


def _parse_entries(entries) -> tuple[list, list]:
    names, networks = [], []
    for entry in entries:
        if not entry or not entry.strip():
            continue
        try:
            host, port = _split_entry(entry)
        except ValueError:
            logger.warning("Ignoring outbound allowance %r: the port is not a number", entry)
            continue
        try:
            networks.append((ipaddress.ip_network(host.strip(), strict=False), port))
        except ValueError:
            names.append((_normalise_host(host), port))
    return names, networks


def _policy() -> _Policy:
    from django.conf import settings

    entries = list(getattr(settings, "AIHUB_OUTBOUND_ALLOWED_HOSTS", []) or [])
    tracking = urlsplit(getattr(settings, "MLFLOW_TRACKING_URI", "") or "")
    if tracking.scheme in DEFAULT_PORTS and tracking.hostname:
        try:
            port = tracking.port or DEFAULT_PORTS[tracking.scheme]
        except ValueError:
            port = None
        if port is not None:
            host = tracking.hostname
            entries.append(f"[{host}]:{port}" if ":" in host else f"{host}:{port}")
    names, networks = _parse_entries(entries)
    return _Policy(names=tuple(names), networks=tuple(networks))


def address_problem(address: IPAddress) -> str | None:
    """Why this address may not be reached (None: it is a public address)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            problem = address_problem(embedded)
            return f"{problem} (an IPv6 form of an IPv4 address)" if problem else None
        if address.teredo:
            return "a Teredo tunnel address"
        if address.is_site_local:
            return "a site-local address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if isinstance(address, ipaddress.IPv4Address) and address in SHARED_ADDRESS_SPACE:
        return "a shared (carrier-grade NAT) address"
    if address.is_private:
        return "a private address"
    if address.is_reserved:
        return "a reserved address"
    if not address.is_global:
        return "not a public address"
    return None


def _getaddrinfo(host: str, port: int):
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


def _resolve(host: str, port: int) -> list[tuple[int, IPAddress]]:
    """Every address of host (raises socket.gaierror)."""
    seen, addresses = set(), []
    for family, _, _, _, sockaddr in _getaddrinfo(host, port):
        address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        if address not in seen:
            seen.add(address)
            addresses.append((family, address))
    return addresses


def _checked_addresses(
    host: str,
    port: int,
    policy: _Policy,
    *,
    resolve_allowed: bool = True,
) -> tuple[list[tuple[int, IPAddress]], bool]:
    """Resolve host and check every address: (addresses, allowed by name). Raises
    OutboundRefused for a refused address, socket.gaierror when the name does not resolve
    (unless resolve_allowed is False and an operator allowed the name)."""
    host = _normalise_host(host)
    by_name = policy.name_allowed(host, port)
    try:
        addresses = _resolve(host, port)
    except socket.gaierror:
        if by_name and not resolve_allowed:
            return [], True  # an allowed name may resolve only where the workers run
        raise
    if not addresses:
        raise socket.gaierror(socket.EAI_NONAME, "no address")
    if not by_name:
        literal = _is_literal(host)
        for _, address in addresses:
            problem = address_problem(address)
            if problem and not policy.address_allowed(address, port):
                where = f"{host} is {problem}" if literal else f"{host} resolves to {problem}"
                raise OutboundRefused(
                    f"{where}; outbound requests may not reach it (an operator can allow it in "
                    "AIHUB_OUTBOUND_ALLOWED_HOSTS)."
                )
    return addresses, by_name


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


# -- URL check ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A checked URL: where it goes and which addresses it resolved to."""

    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...] = field(default=())
    allowed_by_operator: bool = False


def _parse(url: str) -> tuple[str, str, int]:
    if not isinstance(url, str) or not url.strip():
        raise OutboundRefused("Give an http:// or https:// URL.")
    url = url.strip()
    if any(ord(char) < 0x21 or char in "\\\x7f" for char in url):
        raise OutboundRefused("The URL contains spaces, control characters or backslashes.")
    split = urlsplit(url)
    scheme = split.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise OutboundRefused("Only http:// and https:// URLs are allowed.")
    if "@" in split.netloc:
        raise OutboundRefused(
            "The URL may not contain a user name or password (user@host); give credentials separately."
        )
    try:
        parsed = parse_url(url)  # how urllib3 will read it: both parsers must agree on the host
        split_port = split.port
    except ValueError as error:
        raise OutboundRefused("The URL's host or port is not valid.") from error
    if not split.hostname or not parsed.host or _normalise_host(parsed.host) != _normalise_host(split.hostname):
        raise OutboundRefused("The URL has no valid host.")
    if parsed.auth:
        raise OutboundRefused("The URL may not contain a user name or password.")
    port = split_port or DEFAULT_PORTS[scheme]
    if parsed.port not in (None, split_port):
        raise OutboundRefused("The URL's port is not valid.")
    return scheme, _normalise_host(split.hostname), port


def check_url(url: str) -> Target:
    """Check a URL before it is stored or used (see the module's rules). Raises
    OutboundRefused with a reason a person can act on; returns the checked Target."""
    scheme, host, port = _parse(url)
    try:
        host.encode("idna")
    except UnicodeError as error:
        raise OutboundRefused(f"{host} is not a valid host name.") from error
    try:
        addresses, by_name = _checked_addresses(host, port, _policy(), resolve_allowed=False)
    except socket.gaierror as error:
        raise OutboundRefused(f"The host {host} could not be resolved (DNS lookup failed).") from error
    except UnicodeError as error:
        raise OutboundRefused(f"{host} is not a valid host name.") from error
    return Target(
        url=url.strip(),
        scheme=scheme,
        host=host,
        port=port,
        addresses=tuple(str(address) for _, address in addresses),
        allowed_by_operator=by_name or any(address_problem(a) for _, a in addresses),
    )


# -- connections that check where they connect ---------------------------------------------


class _GuardedConnectionMixin:
    """Resolve and check at connection time, then connect to a checked address only."""

    def _new_conn(self) -> socket.socket:
        host, port = self._dns_host, self.port
        try:
            addresses, _ = _checked_addresses(host, port, _policy())
        except socket.gaierror as error:
            raise NameResolutionError(self.host, self, error) from error
        last_error: OSError | None = None
        for _, address in addresses:
            try:
                sock = urllib3_connection.create_connection(
                    (str(address), port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except OSError as error:  # refused, unreachable or timed out: try the next address
                last_error = error
                continue
            peer = ipaddress.ip_address(sock.getpeername()[0].split("%", 1)[0])
            if peer != address:  # cannot happen with a literal address; checked all the same
                sock.close()
                raise OutboundRefused(f"{host} connected to an address that was not checked.")
            sys.audit("http.client.connect", self, self.host, self.port)
            return sock
        if isinstance(last_error, TimeoutError):
            raise ConnectTimeoutError(
                self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
            ) from last_error
        raise NewConnectionError(self, f"Failed to establish a new connection: {last_error}") from last_error


class _GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class _GuardedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedHTTPConnectionPool,
            "https": _GuardedHTTPSConnectionPool,
        }

    def proxy_manager_for(self, proxy, **proxy_kwargs):  # never through a proxy
        raise OutboundRefused("Outbound requests do not go through proxies.")


def _setting(name: str, default):
    from django.conf import settings

    return getattr(settings, name, default)


class OutboundSession(requests.Session):
    """A requests.Session whose every connection goes through the guard. `request()` checks
    the URL first, follows no redirect, applies short default timeouts, reads at most
    `max_response_bytes`, and turns transport errors into OutboundFailed."""

    def __init__(
        self,
        *,
        retries: int | Retry = 0,
        pool_maxsize: int = 10,
        timeout: tuple[float, float] | None = None,
        max_response_bytes: int | None = None,
    ):
        super().__init__()
        self.trust_env = False  # no proxies, no ~/.netrc credentials from the environment
        self.proxies = {}
        self.timeout = timeout or (
            float(_setting("AIHUB_OUTBOUND_CONNECT_TIMEOUT", 3)),
            float(_setting("AIHUB_OUTBOUND_READ_TIMEOUT", 20)),
        )
        self.max_response_bytes = max_response_bytes or int(
            _setting("AIHUB_OUTBOUND_MAX_RESPONSE_BYTES", 64 * 1024 * 1024)
        )
        if isinstance(retries, int):
            retries = Retry(total=retries, connect=retries, read=retries, status=0, redirect=0, raise_on_status=False)
        adapter = _GuardedAdapter(max_retries=retries, pool_maxsize=pool_maxsize)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def request(self, method, url, *args, **kwargs) -> requests.Response:
        # The URL's shape is checked here; its addresses when each connection is opened.
        _scheme, host, port = _parse(url)
        kwargs["allow_redirects"] = False
        kwargs["stream"] = True
        kwargs["proxies"] = {}
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        try:
            response = super().request(method, url, *args, **kwargs)
            with response:
                if response.is_redirect or 300 <= response.status_code < 400:
                    raise OutboundFailed(
                        f"{where} answered a redirect (HTTP {response.status_code}); redirects are not "
                        "followed: give the final URL.",
                        kind="redirect",
                        status=response.status_code,
                    )
                body, total = [], 0
                for chunk in response.iter_content(64 * 1024):
                    total += len(chunk)
                    if total > self.max_response_bytes:
                        raise OutboundFailed(
                            f"{where} answered more than {self.max_response_bytes // (1024 * 1024)} MB.",
                            kind="too_large",
                            status=response.status_code,
                        )
                    body.append(chunk)
                response._content = b"".join(body)
                response._content_consumed = True
            return response
        except requests.RequestException as error:
            raise _failure(error, where) from error


def _chain(error: BaseException) -> list[BaseException]:
    """The error and everything it wraps (causes, contexts, urllib3's `reason`)."""
    found, stack = [], [error]
    while stack and len(found) < 30:
        item = stack.pop()
        if not isinstance(item, BaseException) or any(item is seen for seen in found):
            continue
        found.append(item)
        stack.extend(
            [
                item.__cause__,
                item.__context__,
                getattr(item, "reason", None),
                *[arg for arg in item.args if isinstance(arg, BaseException)],
            ]
        )
    return found


def _failure(error: requests.RequestException, where: str) -> OutboundFailed:
    """A message naming the failure class (never the target's answer)."""
    chain = _chain(error)

    def wraps(*kinds) -> bool:
        return any(isinstance(item, kinds) for item in chain)

    if wraps(NameResolutionError, socket.gaierror):
        return OutboundFailed(f"the host of {where} could not be resolved (DNS lookup failed)", kind="dns")
    if wraps(ConnectionRefusedError):
        return OutboundFailed(f"connection refused by {where}", kind="refused")
    if isinstance(error, requests.ConnectTimeout) or any(
        isinstance(item, ConnectTimeoutError) and not isinstance(item, NewConnectionError) for item in chain
    ):
        return OutboundFailed(f"connecting to {where} timed out", kind="timeout")
    if isinstance(error, requests.ReadTimeout) or wraps(TimeoutError):
        return OutboundFailed(f"{where} timed out before answering", kind="timeout")
    if isinstance(error, requests.exceptions.SSLError):
        return OutboundFailed(f"the TLS handshake with {where} failed (certificate or protocol)", kind="tls")
    if isinstance(error, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)):
        return OutboundFailed(f"the answer of {where} was cut off or malformed", kind="connection")
    return OutboundFailed(f"the connection to {where} failed ({type(error).__name__})", kind="connection")


def session(**options) -> OutboundSession:
    """A guarded session (see OutboundSession for the options)."""
    return OutboundSession(**options)


def request(method: str, url: str, **kwargs) -> requests.Response:
    """One guarded request: check_url, connect to a checked address, no redirects, short
    timeouts. Returns the response whatever its status; raises OutboundRefused or
    OutboundFailed."""
    options = {key: kwargs.pop(key) for key in ("retries", "max_response_bytes") if key in kwargs}
    with session(**options) as guarded:
        return guarded.request(method, url, **kwargs)
