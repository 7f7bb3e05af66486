"""URLs the studio fetches (an image by address in the form, finished clips from Apiframe) can't
reach inside our network, can't be redirected there, and can't take too long or too much.

The local test server is on loopback, which only the Apiframe host may be: the tests that must
reach it make it "the Apiframe host" through settings.APIFRAME_BASE_URL.
"""

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.urls import reverse

from generations import safe_urls
from generations.models import Generation
from generations.pipeline import first_frames, storage
from generations.safe_urls import UnsafeURL, check_url, fetch_stream
from tests.fixtures import picture

IMAGE = picture()


class Server:
    """A loopback HTTP server: /image.png, /redirect?to=..., /big, /trickle, /slow-headers."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        threading.Thread(
            target=self.http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                server.paths.append(self.path)
                route = urlsplit(self.path).path
                query = parse_qs(urlsplit(self.path).query)
                try:
                    if route == "/image.png":
                        self.answer(200, IMAGE, {"Content-Type": "image/png"})
                    elif route == "/redirect":
                        self.answer(302, b"", {"Location": query["to"][0]})
                    elif route == "/big":
                        self.answer(200, b"\0" * (21 * 1024 * 1024), {})
                    elif route == "/trickle":
                        self.trickle_body()
                    elif route == "/slow-headers":
                        self.trickle(b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 1000)
                    else:
                        self.answer(404, b"", {})
                except OSError:
                    pass  # The studio hung up, as it should.

            def answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def trickle_body(self) -> None:
                self.send_response(200)
                self.send_header("Content-Length", "1000000")
                self.end_headers()
                self.trickle(b"\0" * 1_000_000)

            def trickle(self, data: bytes) -> None:
                # One byte every 0.1 s: each read is quick, the whole would take a day.
                for offset in range(len(data)):
                    self.wfile.write(data[offset : offset + 1])
                    self.wfile.flush()
                    time.sleep(0.1)

            def log_message(self, format: str, *args) -> None:
                pass

        return Handler


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.stop()


@pytest.fixture
def other_server() -> Iterator[Server]:
    running = Server()
    yield running
    running.stop()


@pytest.fixture
def apiframe_host(settings, server: Server) -> Server:
    settings.APIFRAME_BASE_URL = server.url
    return server


def fetch(url: str, **limits) -> bytes:
    with fetch_stream(url, timeout=limits.pop("timeout", 5.0), **limits) as response:
        return response.read()


def refusal(url: str) -> str:
    with pytest.raises(UnsafeURL) as refused:
        fetch(url)
    return str(refused.value)


# --- Where the studio may go ---------------------------------------------------------------


def test_it_fetches_from_the_apiframe_host(apiframe_host):
    assert fetch(apiframe_host.url + "/image.png") == IMAGE


def test_it_follows_a_redirect_that_stays_on_the_apiframe_host(apiframe_host):
    assert fetch(apiframe_host.url + "/redirect?to=/image.png") == IMAGE
    assert apiframe_host.paths == ["/redirect?to=/image.png", "/image.png"]


def test_it_refuses_loopback_that_is_not_the_apiframe_host(server):
    assert "private or local network" in refusal(server.url + "/image.png")
    assert server.paths == []


def test_it_refuses_the_apiframe_hosts_name_on_another_port(apiframe_host, other_server):
    assert "private or local network" in refusal(other_server.url + "/image.png")
    assert other_server.paths == []


@pytest.mark.parametrize(
    "target, reason",
    [
        ("http://127.0.0.1:{other_port}/image.png", "private or local network"),
        ("http://169.254.169.254/latest/meta-data/", "private or local network"),
        ("http://[::1]:{other_port}/image.png", "private or local network"),
        ("http://localhost:{other_port}/image.png", "private or local network"),
        ("file:///etc/passwd", "only http:// and https://"),
        ("gopher://127.0.0.1:6379/_INFO", "only http:// and https://"),
    ],
)
def test_it_checks_every_redirect_hop(apiframe_host, other_server, target, reason):
    target = target.format(other_port=other_server.http.server_address[1])
    assert reason in refusal(f"{apiframe_host.url}/redirect?to={target}")
    assert other_server.paths == []


def test_it_stops_after_five_redirects(apiframe_host):
    url = "/image.png"
    for _ in range(6):
        url = f"/redirect?to={url}"
    assert "redirects too many times" in refusal(apiframe_host.url + url)


# --- Addresses that name a private machine in disguise ---------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://[::127.0.0.1]/",  # IPv4-compatible
        "http://[64:ff9b::7f00:1]/",  # NAT64
        "http://[2002:7f00:1::]/",  # 6to4
        "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",  # Teredo
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "http://2130706433/",  # 127.0.0.1 as one decimal number
        "http://0x7f000001/",
        "http://0177.0.0.1/",  # octal
        "http://127.1/",
        "http://0.0.0.0/",
        "http://10.1.2.3/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",  # carrier-grade NAT
        "http://169.254.169.254/",  # cloud metadata
        "http://224.0.0.1/",
    ],
)
def test_it_refuses_private_loopback_and_link_local_addresses(url):
    with pytest.raises(UnsafeURL, match="private or local network"):
        check_url(url)
    with pytest.raises(UnsafeURL):  # httpx itself refuses some spellings, like octal
        fetch(url)


@pytest.mark.parametrize(
    "url, reason",
    [
        ("ftp://example.com/a.png", "only http:// and https://"),
        ("file:///etc/passwd", "only http:// and https://"),
        ("data:image/png;base64,AAAA", "only http:// and https://"),
        ("javascript:alert(1)", "only http:// and https://"),
        ("http:///a.png", "has no host name"),
        ("http://user:secret@example.com/a.png", "user name or password"),
        ("http://example.com:99999/a.png", "not a valid web address"),
        ("http://example.com:port/a.png", "not a valid web address"),
    ],
)
def test_it_refuses_what_is_not_a_plain_web_address(url, reason):
    with pytest.raises(UnsafeURL, match=reason):
        check_url(url)
    with pytest.raises(UnsafeURL, match=reason):
        fetch(url)


@pytest.fixture
def fake_dns(monkeypatch):
    """Names resolved from a table (a list per name is answered in turn); others as usual."""
    real = socket.getaddrinfo
    table: dict[str, list[list[str]]] = {}

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in table:
            return real(host, port, *args, **kwargs)
        answers = table[host]
        addresses = answers.pop(0) if len(answers) > 1 else answers[0]
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


def test_it_refuses_a_name_that_resolves_to_a_private_address(fake_dns):
    fake_dns["intranet.example.com"] = [["10.0.0.7"]]
    fake_dns["half-inside.example.com"] = [["93.184.215.14", "192.168.0.10"]]
    assert "private or local network" in refusal("http://intranet.example.com/a.png")
    assert "private or local network" in refusal("https://half-inside.example.com/a.png")


def test_it_connects_to_the_address_it_checked_not_a_second_lookup(fake_dns, server):
    # DNS rebinding: public when looked at, loopback a moment later.
    port = server.http.server_address[1]
    fake_dns["rebinding.example.com"] = [["93.184.215.14"], ["127.0.0.1"]]
    with pytest.raises((UnsafeURL, httpx.HTTPError)):
        fetch(f"http://rebinding.example.com:{port}/image.png", max_seconds=1.0)
    assert server.paths == []


def test_it_says_when_a_host_does_not_exist(fake_dns):
    assert "could not be found" in refusal("http://no-such-host.invalid/a.png")


# --- How long and how much -------------------------------------------------------------------


def test_it_gives_up_on_a_body_trickling_in_at_the_total_time_limit(apiframe_host):
    started = time.monotonic()
    with pytest.raises(httpx.TimeoutException):
        fetch(apiframe_host.url + "/trickle", timeout=5.0, max_seconds=1.0)
    assert time.monotonic() - started < 2.5


def test_it_gives_up_on_headers_trickling_in_at_the_total_time_limit(apiframe_host):
    started = time.monotonic()
    with pytest.raises(httpx.TimeoutException):
        fetch(apiframe_host.url + "/slow-headers", timeout=5.0, max_seconds=1.0)
    assert time.monotonic() - started < 2.5


def test_it_caps_a_fetch_at_three_read_timeouts_by_default(apiframe_host, monkeypatch):
    monkeypatch.setattr(safe_urls, "TOTAL_TIMEOUTS", 0.2)  # 5 s reads: a 1 s whole
    started = time.monotonic()
    with pytest.raises(httpx.TimeoutException):
        fetch(apiframe_host.url + "/trickle", timeout=5.0)
    assert time.monotonic() - started < 2.5


def test_it_refuses_a_clip_larger_than_the_studio_accepts(apiframe_host, settings, tmp_path):
    settings.MAX_CLIP_BYTES = 1024 * 1024
    with pytest.raises(storage.DownloadFailed, match="larger than the studio accepts") as failed:
        storage.download(apiframe_host.url + "/big", tmp_path / "clip.mp4")
    assert failed.value.permanent


def test_it_refuses_a_clip_on_a_private_address(tmp_path):
    with pytest.raises(storage.DownloadFailed, match="private or local network") as failed:
        storage.download("http://10.0.0.1/clip.mp4", tmp_path / "clip.mp4")
    assert failed.value.permanent


# --- An image by address: fetched by the task cluster, never in the web request ----------------


def post_image_url(client, url: str):
    data = {"prompt": "A fox in the snow", "resolution": "768p", "duration": "6", "image_url": url}
    return client.post(reverse("generation_create"), data, HTTP_HX_REQUEST="true")


def fetched(generation: Generation) -> Generation:
    """What the submit task does first with an image given by address."""
    generation.refresh_from_db()
    first_frames.fetch_first_frame(generation)
    generation.refresh_from_db()
    return generation


def test_the_form_leaves_the_fetch_to_the_cluster(alice_client, apiframe_host):
    response = post_image_url(alice_client, apiframe_host.url + "/image.png")
    assert response.status_code == 200 and apiframe_host.paths == []  # not fetched by the web
    generation = Generation.objects.get()
    assert generation.awaits_first_frame
    assert "Fetching the first frame" in alice_client.get(reverse("studio")).content.decode()
    assert fetched(generation).first_frame.name == f"first-frames/{generation.pk}.png"
    assert not generation.awaits_first_frame


def test_a_redirect_into_the_network_fails_the_clip_in_words(alice_client, apiframe_host):
    post_image_url(alice_client, apiframe_host.url + "/redirect?to=http://169.254.169.254/latest/")
    generation = fetched(Generation.objects.get())
    assert generation.status == "failed" and not generation.may_still_bill
    assert "the host 169.254.169.254 is on a private or local network" in generation.failure_reason


def test_an_image_over_20_mb_fails_the_clip_in_words(alice_client, apiframe_host):
    post_image_url(alice_client, apiframe_host.url + "/big")
    generation = fetched(Generation.objects.get())
    assert "the image at that address is over 20 MB" in generation.failure_reason


def test_the_form_refuses_an_impossible_port_with_a_message(alice_client):
    response = post_image_url(alice_client, "http://example.com:99999/a.png")
    assert response.status_code == 200
    assert "not a valid web address" in response.content.decode()


def test_the_form_refuses_a_private_address_it_can_see(alice_client):
    response = post_image_url(alice_client, "http://[::ffff:10.0.0.1]/a.png")
    assert "private or local network" in response.content.decode()
    assert not Generation.objects.exists()


def test_a_trickling_server_is_given_up_on_and_tried_again(
    alice_client, apiframe_host, monkeypatch
):
    monkeypatch.setattr(first_frames, "FETCH_SECONDS", 1.0)
    post_image_url(alice_client, apiframe_host.url + "/trickle")
    generation = fetched(Generation.objects.get())
    assert generation.status == "waiting" and generation.attempts == 1
    assert "the site took too long to send it" in generation.last_error


def test_eight_slow_image_addresses_hold_no_web_thread(make_user, apiframe_host):
    """Each post is answered without a request to the site: the web server stays free."""
    from django.test import Client

    from tests.fixtures import logged_in

    members = [logged_in(make_user(f"member{n}")) for n in range(8)]
    for member in members:
        assert post_image_url(member, apiframe_host.url + "/trickle").status_code == 200
    assert apiframe_host.paths == []
    assert Client().get(reverse("login")).status_code == 200
    assert Generation.objects.count() == 8
