"""Everything `make run` needs before the processes start: tables, static files, a first user."""

import os
import secrets
import stat
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Migrate, collect static files and make sure a staff user exists; print how to log in."

    def handle(self, *args, **options) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        tighten_file_modes()
        login = self.ensure_first_user()
        address = f"http://127.0.0.1:{settings.STUDIO_PORT}"
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Hailuo Studio is starting at {address}"))
        self.stdout.write(login)
        if settings.APIFRAME_SIMULATED:
            self.stdout.write(
                "No APIFRAME_API_KEY is set: clips come from the built-in Apiframe simulator."
            )
        self.stdout.write("Press Ctrl-C to stop everything.\n")

    def ensure_first_user(self) -> str:
        User = get_user_model()
        username = settings.STUDIO_ADMIN_USER
        password = settings.STUDIO_ADMIN_PASSWORD
        user = User.objects.filter(username=username).first()
        if user is None and (password or not User.objects.filter(is_staff=True).exists()):
            generated = not password
            password = password or secrets.token_urlsafe(12)
            User.objects.create_superuser(username=username, password=password, email="")
            if generated:
                return (
                    f"Log in as '{username}' with the password {password} "
                    "(shown only this once: change it under 'Password' after logging in)."
                )
            return f"Log in as '{username}' with STUDIO_ADMIN_PASSWORD."
        if user is not None and password and not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
        if user is not None:
            return f"Log in as '{username}' (or any member staff have added)."
        return "Log in with your account (staff add members in the admin)."


def tighten_file_modes() -> None:
    """chmod go-rwx on var/, the SQLite files and the media tree: an install made before the
    studio set its umask left session keys and password hashes readable by every local user."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        for suffix in ("", "-wal", "-shm", "-journal"):
            _make_private(Path(f"{database['NAME']}{suffix}"))
    _make_private(Path(settings.VAR_DIR))
    media = Path(settings.MEDIA_ROOT)
    _make_private(media)
    # Links are left alone: chmod would follow one to whatever file it points at.
    for folder, folders, files in os.walk(media):
        for name in folders + files:
            path = Path(folder, name)
            if not path.is_symlink():
                _make_private(path)


def _make_private(path: Path) -> None:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if mode & 0o077:
        path.chmod(mode & 0o700)
