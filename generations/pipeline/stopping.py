"""Whether the task cluster this process belongs to is stopping (`manage.py qcluster` raises the
flag on SIGTERM or SIGINT; the tracker loop winds down on it).

The flag is one byte of memory shared with every process the cluster forks, made when this module
is first imported: the cluster's main process imports it before it forks, so its workers see the
same byte. Raising it is a plain write, safe inside a signal handler. In any other process (the
web server, a test) nobody raises it and it stays down.
"""

import ctypes
import multiprocessing

_flag = multiprocessing.RawValue(ctypes.c_bool, False)


def raise_flag() -> None:
    _flag.value = True


def is_stopping() -> bool:
    return bool(_flag.value)
