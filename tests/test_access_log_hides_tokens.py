"""gunicorn's access log (the Procfile's `--access-logfile -`) never shows the tokens that grant
access: invites, password-reset links and share links, in the path or in the Referer."""

from types import SimpleNamespace

from gunicorn.config import Config

from hailuo_site.access_log import RedactingLogger

TOKEN = "Zq3xVt0b5KpW2mYd8RsL1nHc6fJe4gAu9iOyTkXwQvE"


def logged_line(path: str, referer: str = "") -> str:
    config = Config()
    config.set("logger_class", "hailuo_site.access_log.RedactingLogger")
    logger = RedactingLogger(config)
    request = SimpleNamespace(
        method="GET", path=path, query="", uri=path, version=(1, 1), headers=[]
    )
    response = SimpleNamespace(status="200 OK", sent=10, headers=[], response_length=10)
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "REMOTE_ADDR": "127.0.0.1",
        "RAW_URI": path,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": referer,
        "HTTP_USER_AGENT": "test",
    }
    atoms = logger.atoms(
        response,
        request,
        environ,
        request_time=SimpleNamespace(seconds=0, microseconds=1000, total_seconds=lambda: 0.001),
    )
    return config.access_log_format % atoms


def test_an_invite_token_is_blanked_in_the_path():
    line = logged_line(f"/invite/{TOKEN}/")
    assert TOKEN not in line
    assert "/invite/…/" in line


def test_a_reset_token_is_blanked_and_the_page_after_it_stays_readable():
    assert TOKEN not in logged_line(f"/accounts/reset/Mg/{TOKEN}/")
    assert "/accounts/reset/Mg/set-password/" in logged_line("/accounts/reset/Mg/set-password/")


def test_a_share_token_in_the_referer_is_blanked():
    line = logged_line("/static/css/studio.css", referer=f"http://studio.example/s/{TOKEN}/")
    assert TOKEN not in line
    assert "/s/…/" in line


def test_other_paths_are_logged_as_they_are():
    assert "/generations/3/" in logged_line("/generations/3/")
