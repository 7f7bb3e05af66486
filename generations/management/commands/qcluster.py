"""django-q2's `qcluster`, made to stop within seconds on SIGTERM or SIGINT, whether the signal is
sent to this process alone (`kill`, supervisord) or to its whole process group (honcho when
`make run` gets Ctrl-C, systemd). It takes django-q2's place because `generations` comes before
`django_q` in INSTALLED_APPS.

django-q2 stops a cluster from its main process: it sets the stop event, and the sentinel lets
every worker finish its task, then ends. Two things made that take a minute or never end:

- A signal sent to the group reaches the sentinel too, which dies of it (django-q2 leaves SIGTERM
  at its default there) while it waits on the stop event; the main process then waits forever
  for it to wake. So every process the cluster forks starts with the stop signals blocked: only
  the main process acts on them.
- A worker running the tracker loop finishes it first, up to TRACKER_RUN_SECONDS. So the main
  process raises the `stopping` flag first, and the loop winds down on it (track.py).
"""

import os
import signal
from typing import Any

from django_q.cluster import Cluster
from django_q.management.commands import qcluster

from generations.pipeline import stopping

STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


class Command(qcluster.Command):
    help = "Starts the task cluster (django-q2's qcluster); SIGTERM or Ctrl-C stops it in seconds."

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("cluster_name"):
            os.environ["Q_CLUSTER_NAME"] = options["cluster_name"]
        cluster = Cluster()  # installs django-q2's own handler, which ours then calls

        def stop(signum: int, frame: Any) -> None:
            stopping.raise_flag()
            cluster.sig_handler(signum, frame)

        for stop_signal in STOP_SIGNALS:
            signal.signal(stop_signal, stop)
        os.register_at_fork(after_in_child=block_stop_signals)
        cluster.start()
        if options.get("run_once"):
            cluster.stop()


def block_stop_signals() -> None:
    """In each process the cluster forks (and so in theirs): the main process stops them all."""
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
