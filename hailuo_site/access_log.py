"""gunicorn's access log without the secrets some paths carry: an invite's token, a password-reset
link's token and a share link's token are blanked wherever the log line shows a path (the request
line, the path, the Referer of the pages they load). Django's own logger already leaves them out."""

import re

from gunicorn.glogging import Logger

# /invite/<token>/, /accounts/reset/<uid>/<token>/ and /s/<token>/: the part that grants access.
SECRET_IN_PATH = re.compile(r"(/invite/|/accounts/reset/[^/\s]+/|/s/)(?!set-password/)[^/\s?#\"]+")


def redacted(text: str) -> str:
    return SECRET_IN_PATH.sub(r"\1…", text)


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            key: redacted(value) if isinstance(value, str) else value
            for key, value in atoms.items()
        }
