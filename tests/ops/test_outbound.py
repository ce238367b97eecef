"""The outbound-request guard (aihub/outbound.py): what it refuses, what an operator can
allow, and that the refusal holds at connection time (DNS rebinding) and across redirects.
Real local HTTP servers stand in for the targets: a refused request must never reach them."""

import ipaddress
import socket

import pytest

from aihub import outbound
from aihub.outbound import OutboundFailed, OutboundRefused, check_url
from tests.http_receiver import Receiver, always


@pytest.fixture(autouse=True)
def nothing_allowed(settings, tmp_path):
    """No operator allowance: the tracking URI is a local store, no allowed hosts."""
    settings.AIHUB_OUTBOUND_ALLOWED_HOSTS = []
    settings.MLFLOW_TRACKING_URI = f"sqlite:///{tmp_path / 'mlflow.db'}"


@pytest.fixture
def receiver():
    with Receiver(always(200, "hello", {"Content-Type": "text/plain"})) as server:
        yield server


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.0.0.1/", "private"),
        ("http://172.16.5.4:8080/", "private"),
        ("http://192.168.1.1/", "private"),
        ("http://100.64.0.1/", "carrier-grade NAT"),
        ("http://127.0.0.1:5000/", "loopback"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://224.0.0.1/", "multicast"),
        ("http://[::1]/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://[::ffff:169.254.169.254]/", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://[fc00::1]/", "private"),
        ("http://2130706433/", "loopback"),  # 127.0.0.1 as a decimal number
        ("http://0x7f000001/", "loopback"),  # hex
        ("http://017700000001/", "loopback"),  # octal
        ("http://127.1/", "loopback"),
        ("http://localhost:8000/", "loopback"),  # a name that resolves to 127.0.0.1
        ("http://LOCALHOST./", "loopback"),
    ],
)
def test_refused_addresses(url, reason):
    with pytest.raises(OutboundRefused, match=reason):
        check_url(url)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://a@evil.example/", "user name"),
        ("http://user:pw@127.0.0.1/", "user name"),
        ("ftp://example.com/", "Only http"),
        ("file:///etc/passwd", "Only http"),
        ("gopher://127.0.0.1:6379/_INFO", "Only http"),
        ("http://127.0.0.1\\@example.com/", "backslash"),
        ("http:///path-only", "no valid host"),
        ("http://example.com:99999/", "port"),
        ("http://nothing-here.invalid/", "could not be resolved"),
    ],
)
def test_refused_urls(url, reason):
    with pytest.raises(OutboundRefused, match=reason):
        check_url(url)


def test_embedded_ipv4_forms_are_judged_by_their_ipv4_address():
    problem = outbound.address_problem
    assert "loopback" in problem(ipaddress.ip_address("2002:7f00:1::1"))  # 6to4 of 127.0.0.1
    assert "private" in problem(ipaddress.ip_address("64:ff9b::a00:1"))  # NAT64 of 10.0.0.1
    assert problem(ipaddress.ip_address("8.8.8.8")) is None
    assert problem(ipaddress.ip_address("2606:4700:4700::1111")) is None


def test_a_refused_target_gets_no_request_whatever_its_spelling(receiver):
    for host in ("127.0.0.1", "localhost", "2130706433", "0x7f000001", "017700000001", "[::ffff:127.0.0.1]"):
        with pytest.raises(OutboundRefused):
            outbound.request("GET", f"http://{host}:{receiver.port}/")
    assert receiver.requests == []


def test_open_and_closed_ports_of_a_refused_host_look_the_same(receiver):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    answers = []
    for port in (receiver.port, closed):
        with pytest.raises(OutboundRefused) as refused:
            outbound.request("GET", f"http://127.0.0.1:{port}/")
        answers.append(str(refused.value))
    assert answers[0] == answers[1] and receiver.requests == []


def test_an_allowed_host_and_port_passes_and_other_ports_stay_refused(settings, receiver):
    settings.AIHUB_OUTBOUND_ALLOWED_HOSTS = [f"127.0.0.1:{receiver.port}"]
    assert check_url(f"{receiver.url}/x").allowed_by_operator
    response = outbound.request("GET", f"{receiver.url}/x")
    assert response.status_code == 200 and response.text == "hello"
    assert [r["path"] for r in receiver.requests] == ["/x"]
    with pytest.raises(OutboundRefused, match="loopback"):
        check_url(f"http://127.0.0.1:{receiver.port + 1 if receiver.port < 65535 else 1}/")


def test_the_host_and_port_of_mlflow_tracking_uri_are_allowed(settings, receiver):
    settings.MLFLOW_TRACKING_URI = receiver.url
    assert outbound.request("GET", f"{receiver.url}/health").status_code == 200
    with pytest.raises(OutboundRefused):
        check_url("http://127.0.0.1:1/")


def test_an_allowed_cidr_range_passes(settings, receiver):
    settings.AIHUB_OUTBOUND_ALLOWED_HOSTS = ["10.0.0.0/8", "127.0.0.0/8"]
    assert outbound.request("GET", f"http://localhost:{receiver.port}/").status_code == 200
    check_url("http://10.1.2.3:5000/")
    with pytest.raises(OutboundRefused, match="link-local"):
        check_url("http://169.254.169.254/")
    with pytest.raises(OutboundRefused, match="private"):
        check_url("http://192.168.0.1/")


def test_an_allowed_name_passes_even_where_it_does_not_resolve(settings):
    settings.AIHUB_OUTBOUND_ALLOWED_HOSTS = ["mlflow.internal", "mlflow.example:5000"]
    assert check_url("http://MLflow.Internal:5000/").allowed_by_operator
    check_url("http://mlflow.example:5000/")
    with pytest.raises(OutboundRefused, match="could not be resolved"):
        check_url("http://mlflow.example:5001/")  # allowed on port 5000 only


def test_a_redirect_to_a_refused_address_is_not_followed(settings, receiver):
    for location in ("http://169.254.169.254/latest/meta-data/", receiver.url + "/secret"):
        with Receiver(always(302, "", {"Location": location})) as redirector:
            settings.AIHUB_OUTBOUND_ALLOWED_HOSTS = [f"127.0.0.1:{redirector.port}"]  # not the receiver's port
            with pytest.raises(OutboundFailed) as failed:
                outbound.request("GET", f"{redirector.url}/start")
            assert failed.value.kind == "redirect" and "302" in str(failed.value)
            assert location not in str(failed.value)
            assert len(redirector.requests) == 1
    assert receiver.requests == []


def test_dns_rebinding_is_refused_at_connection_time(settings, receiver, monkeypatch):
    """The name resolves to a public address when checked, then to 127.0.0.1 when the
    connection is opened: the connection is refused and the local server gets nothing."""
    answers = iter([[(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", receiver.port))]])

    def rebinding(host, port):
        if host != "rebind.example":
            return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return next(answers, [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", receiver.port))])

    monkeypatch.setattr(outbound, "_getaddrinfo", rebinding)
    url = f"http://rebind.example:{receiver.port}/"
    assert check_url(url).addresses == ("93.184.215.14",)
    with pytest.raises(OutboundRefused, match="loopback"):
        outbound.request("GET", url)
    assert receiver.requests == []


def test_the_connection_goes_to_the_checked_address_with_the_name_in_the_host_header(settings, receiver, monkeypatch):
    settings.AIHUB_OUTBOUND_ALLOWED_HOSTS = [f"127.0.0.1:{receiver.port}"]
    monkeypatch.setattr(
        outbound, "_getaddrinfo", lambda host, port: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
    )
    assert outbound.request("GET", f"http://tracking.example:{receiver.port}/p").status_code == 200
    assert receiver.requests[0]["headers"]["host"] == f"tracking.example:{receiver.port}"


def test_failures_name_their_class(settings, receiver):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    settings.AIHUB_OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    with pytest.raises(OutboundFailed, match="connection refused") as refused:
        outbound.request("GET", f"http://127.0.0.1:{closed}/")
    assert refused.value.kind == "refused"

    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        with pytest.raises(OutboundFailed, match="timed out") as timed_out:
            outbound.request("GET", f"http://127.0.0.1:{silent.getsockname()[1]}/", timeout=(1, 0.3))
    assert timed_out.value.kind == "timeout"

    with Receiver(always(200, "x" * 300_000)) as big, pytest.raises(OutboundFailed, match="more than") as too_large:
        outbound.request("GET", big.url, max_response_bytes=100_000)
    assert too_large.value.kind == "too_large"


def test_proxies_and_netrc_from_the_environment_are_ignored(settings, receiver, monkeypatch, tmp_path):
    settings.AIHUB_OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9/")
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9/")
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login worker password netrc-secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    assert outbound.request("GET", receiver.url).status_code == 200
    assert "authorization" not in receiver.requests[0]["headers"]


def _self_signed(tmp_path, name: str):
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_https_to_a_checked_address_keeps_the_name_for_tls(settings, monkeypatch, tmp_path):
    """The socket goes to the checked address; the certificate is still verified for the
    URL's name (SNI and hostname check), so pinning the address does not weaken TLS."""
    import ssl

    cert, key = _self_signed(tmp_path, "tracking.example")
    server = Receiver(always(200, "tls-ok"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server.server.socket = context.wrap_socket(server.server.socket, server_side=True)
    settings.AIHUB_OUTBOUND_ALLOWED_HOSTS = [f"127.0.0.1:{server.port}"]
    monkeypatch.setattr(
        outbound, "_getaddrinfo", lambda host, port: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
    )
    with server:
        response = outbound.request("GET", f"https://tracking.example:{server.port}/", verify=str(cert))
        assert response.text == "tls-ok"
        assert server.requests[0]["headers"]["host"] == f"tracking.example:{server.port}"
        with pytest.raises(OutboundFailed) as wrong_name:  # the same address under another name
            monkeypatch.setattr(settings, "AIHUB_OUTBOUND_ALLOWED_HOSTS", ["127.0.0.1"])
            outbound.request("GET", f"https://127.0.0.1:{server.port}/", verify=str(cert))
        assert wrong_name.value.kind == "tls"


def test_no_outbound_http_outside_the_guard():
    """Every outbound request goes through aihub/outbound.py: no app module imports an
    HTTP client of its own."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    pattern = re.compile(
        r"^\s*(import (requests|httpx|urllib3|http\.client)|from (requests|httpx|urllib3|"
        r"http\.client|urllib\.request)\b)",
        re.MULTILINE,
    )
    offenders = [
        str(path.relative_to(root))
        for app in ("accounts", "aihub", "projects", "experiments", "docs_hub")
        for path in (root / app).rglob("*.py")
        if path.name != "outbound.py" and pattern.search(path.read_text())
    ]
    assert offenders == []
