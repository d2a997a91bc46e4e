"""Prefect's temporary server, tied to the life of the ``kg`` process that needs it.

Without ``PREFECT_API_URL`` Prefect starts a temporary API server
(``SubprocessASGIServer``: uvicorn in a child process, ~220 MB) and stops it
from an ``atexit`` hook. A ``kg`` process that is killed (SIGKILL, OOM
killer, ``os._exit``) runs no hook, and the server lives on. So
:func:`start_temporary_server` starts it itself, from the main thread, and
pairs it with a tiny watchdog process. The watchdog blocks reading a pipe
whose only writer is ``kg``; when ``kg`` is gone, however it died, the read
returns EOF and the watchdog stops the server. Prefect later finds its
server already running and reuses it.

(``prctl(PR_SET_PDEATHSIG)`` would need a hook into Prefect's ``Popen`` and
fires when the *thread* that forked exits; the pipe needs neither.)
"""

from __future__ import annotations

import os
import subprocess
import sys

# Runs with only the standard library: starts in ~20 ms and holds ~10 MB.
WATCHDOG = r"""
import os, select, signal, sys, time
fd, pid = int(sys.argv[1]), int(sys.argv[2])
try:
    target = os.pidfd_open(pid)  # names this very process: no pid-reuse race
except (AttributeError, OSError):
    target = None
while os.read(fd, 1):  # nobody writes: b"" means the kg process has exited or been killed
    pass
def send(sig):
    try:
        signal.pidfd_send_signal(target, sig) if target is not None else os.kill(pid, sig)
        return True
    except ProcessLookupError:  # already stopped (the normal exit path)
        return False
if send(signal.SIGTERM):
    if target is not None:
        select.select([target], [], [], 5.0)
    else:
        time.sleep(5.0)
    send(signal.SIGKILL)
"""


#: Seconds the temporary server may take to answer, unless PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS says.
STARTUP_TIMEOUT_S = 120


def start_temporary_server() -> int | None:
    """Start Prefect's temporary server with a watchdog, unless ``PREFECT_API_URL`` names a server.

    Returns the server's pid (None when a configured server is used).
    """
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL

    if PREFECT_API_URL.value():
        return None
    server = SubprocessASGIServer()  # the instance Prefect's client looks up later
    # Prefect waits 20 s by default; on 2 busy cores the server took longer and the build failed.
    configured = os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS")
    server.start(timeout=None if configured else STARTUP_TIMEOUT_S)
    pid = server.server_process.pid
    if pid not in _WATCHDOGS:
        read_end, write_end = os.pipe()  # both close-on-exec: no other child inherits the write end
        # Its own session, so a signal to kg's process group cannot stop it before it does its job.
        watchdog = subprocess.Popen([sys.executable, "-c", WATCHDOG, str(read_end), str(pid)], pass_fds=(read_end,),
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        os.close(read_end)
        _WATCHDOGS[pid] = (watchdog, write_end)
    return pid


#: Server pid -> (watchdog, write end of its pipe). The write end stays open for the life of
#: this process: that is the whole protocol.
_WATCHDOGS: dict[int, tuple[subprocess.Popen, int]] = {}
