"""Ctrl-C on `make run`, typed on a real terminal (a pty) while the tracker loop is mid-run, stops
every process within seconds; make answers 0 with a calm message, and the next tracker is queued
for whichever cluster runs next."""

import os
import pty
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from tooling.processes import PYTHON, ROOT, free_port

pytestmark = pytest.mark.slow

STOPPED_WITHIN = 10.0

MAKE_A_CLIP = """
from django.contrib.auth.models import User
from generations.models import Generation
from generations.pipeline.tasks import enqueue_submission
alice = User.objects.create_user("alice", password="correct horse battery staple")
enqueue_submission(Generation.start(owner=alice, prompt_text="A lighthouse at dusk, waves below"))
"""

QUEUED_TASKS = """
from django_q.models import OrmQ
print(sorted(queued.task["func"] for queued in OrmQ.objects.all()))
"""


class Terminal:
    """A command on a pseudo-terminal of its own, its output kept as it comes."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: a session of its own, the pty its controlling terminal
            os.chdir(ROOT)
            os.execvpe(command[0], command, env)
        self.output = b""
        self.status: int | None = None
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()

    def read(self) -> None:
        # Always drained: a terminal whose buffer fills blocks every process writing to it.
        while True:
            try:
                data = os.read(self.fd, 65536)
            except OSError:  # the last writer closed it
                return
            if not data:
                return
            self.output += data

    @property
    def text(self) -> str:
        return self.output.decode(errors="replace")

    def wait_for_text(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.text:
            assert time.monotonic() < deadline, f"no {text!r} in:\n{self.text[-3000:]}"
            time.sleep(0.1)

    def press_ctrl_c(self) -> None:
        os.write(self.fd, b"\x03")  # the terminal sends SIGINT to its foreground process group

    def exit_status(self, timeout: float) -> int | None:
        deadline = time.monotonic() + timeout
        while self.status is None and time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(status)
                self.reader.join(timeout=2)
            else:
                time.sleep(0.05)
        return self.status


def process_tree(root: int) -> set[tuple[int, str]]:
    """(pid, start time) of `root` and every process under it, read from /proc."""
    parents: dict[int, tuple[int, str]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = (int(fields[1]), fields[19])
    tree, frontier = set(), {root}
    while frontier:
        tree |= {(pid, parents[pid][1]) for pid in frontier if pid in parents}
        frontier = {pid for pid, (ppid, _) in parents.items() if ppid in frontier}
    return tree


def still_running(processes: set[tuple[int, str]]) -> set[tuple[int, str]]:
    alive = set()
    for pid, started in processes:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[19] == started and fields[0] != "Z":  # the same process, not yet a zombie
            alive.add((pid, started))
    return alive


# What a person's own terminal would not have: the suite's databases and keys, and the outer
# make's flags (under `make test` they carry its jobserver and --output-sync, which would hold
# back everything `make run` prints until it ends).
NOT_IN_A_TERMINAL = {
    "DATABASE_URL", "REDIS_URL", "APIFRAME_API_KEY", "APIFRAME_BASE_URL",
    "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES",
}  # fmt: skip


def studio_env(folder: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in NOT_IN_A_TERMINAL}
    return env | {
        "STUDIO_VAR_DIR": str(folder),
        "STATIC_ROOT": str(folder / "static"),
        "PORT": str(free_port()),
        "SIMULATOR_PORT": str(free_port()),
        "STUDIO_ADMIN_PASSWORD": "a password for the staff",
        "Q_WORKERS": "2",
        "PYTHONUNBUFFERED": "1",
    }


def manage_shell(env: dict[str, str], code: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", code],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return result.stdout


def wait_until_tracking(database: Path, timeout: float) -> tuple[str, str]:
    """The clip's status and the tracker lease's holder once a loop is following the clip."""
    deadline = time.monotonic() + timeout
    while True:
        with sqlite3.connect(database, timeout=20) as db:
            status = db.execute("select status from generations_generation").fetchone()
            lease = db.execute("select holder from generations_lease where name = 'tracker'")
            holder = lease.fetchone()
        running = holder and holder[0] and not holder[0].startswith("queued-")
        if running and status and status[0] in ("submitted", "processing"):
            return status[0], holder[0]
        assert time.monotonic() < deadline, (status, holder)
        time.sleep(0.2)


# The child only changes directory and execs make: nothing there can trip on the test's threads.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_ctrl_c_stops_everything_in_seconds_and_make_answers_zero(tmp_path):
    env = studio_env(tmp_path)
    # `-o` leaves the virtualenv as it is: `make run` less its install step.
    make_run = Terminal(["make", "--no-print-directory", "-o", ".venv/.installed", "run"], env)
    processes: set[tuple[int, str]] = set()
    try:
        make_run.wait_for_text("Press Ctrl-C to stop everything.", timeout=120)
        make_run.wait_for_text("running.", timeout=60)  # django-q2: "Q Cluster … running."
        httpx.get(f"http://127.0.0.1:{env['PORT']}/accounts/login/", timeout=30)
        manage_shell(env, MAKE_A_CLIP)
        # Jobs take 15 s at make run's simulator: the loop is mid-run, with up to 40 s to go.
        status_at_ctrl_c, running_tracker = wait_until_tracking(tmp_path / "db.sqlite3", 30)
        processes = process_tree(make_run.pid)

        make_run.press_ctrl_c()
        pressed_at = time.monotonic()
        exit_status = make_run.exit_status(timeout=STOPPED_WITHIN)
        stopped_in = time.monotonic() - pressed_at

        assert exit_status == 0, make_run.text[-3000:]
        assert stopped_in < STOPPED_WITHIN
        assert still_running(processes) == set()
        output = make_run.text
        assert "SIGKILL" not in output and "make: ***" not in output, output[-3000:]
        assert "Hailuo Studio stopped; every clip and account is kept." in output
        assert "tasks.1 stopped (rc=0)" in output

        with sqlite3.connect(tmp_path / "db.sqlite3") as db:
            clip = db.execute("select status, lease_token from generations_generation").fetchone()
            (holder,) = db.execute("select holder from generations_lease where name = 'tracker'")
        assert status_at_ctrl_c in ("submitted", "processing")
        # Not left mid-step: unclaimed, still on its way to Apiframe's clip.
        assert clip in (("submitted", ""), ("processing", ""))
        # The stopped loop let its lease go and queued the next tracker, which runs at the start.
        assert holder[0] != running_tracker and holder[0].startswith("queued-")
        assert "generations.pipeline.tasks.track_generations" in manage_shell(env, QUEUED_TASKS)
    finally:
        for pid, _ in still_running(processes):
            os.kill(pid, signal.SIGKILL)
        if make_run.exit_status(timeout=0) is None:
            os.kill(make_run.pid, signal.SIGKILL)
            make_run.exit_status(timeout=5)
