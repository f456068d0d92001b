"""The processes of `redline serve`: gunicorn for the web and, in the embedded default, one
process for the periodic jobs, started and watched by `redline serve` itself.

gunicorn's master only supervises its workers: it is started with a fresh interpreter
(never forked from a process that loaded Django), its configuration imports nothing of
Django, and each worker loads the application after the fork. The jobs run in their own
process (`redline jobs --loop`), restarted with a growing pause if it dies. Stopping
`redline serve` (Ctrl+C, SIGTERM) stops both gracefully; if `redline serve` itself is
killed, the kernel stops its children (Linux), so no orphan keeps the port.
"""

from __future__ import annotations

import ctypes
import logging
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
GRACE_SECONDS = 30.0


def _stop_with_parent() -> None:
    """In the child, before exec: receive SIGTERM when the supervisor dies (Linux)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def _start(argv: Sequence[str]) -> subprocess.Popen[bytes]:
    # A session of its own: a Ctrl+C in the terminal reaches only the supervisor, which
    # then stops each child gracefully, once.
    return subprocess.Popen(
        list(argv), start_new_session=True, preexec_fn=_stop_with_parent, close_fds=True
    )


class Supervisor:
    """Runs the web server and (optionally) the jobs process until told to stop."""

    def __init__(
        self,
        web: Sequence[str],
        jobs: Sequence[str] | None,
        *,
        say: Callable[[str], None] = print,
        poll: float = 0.5,
    ) -> None:
        self.web_argv = list(web)
        self.jobs_argv = list(jobs) if jobs else None
        self.say = say
        self.poll = poll
        self.web: subprocess.Popen[bytes] | None = None
        self.jobs: subprocess.Popen[bytes] | None = None
        self.stopping = False
        self.reload = False

    # Signals only set flags; the loop acts on them.
    def _on_stop(self, signum: int, frame: object) -> None:
        self.stopping = True

    def _on_hup(self, signum: int, frame: object) -> None:
        self.reload = True

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGHUP, self._on_hup)
        self.web = _start(self.web_argv)
        self.say(f"web: gunicorn master pid {self.web.pid}")
        pause = 1.0
        jobs_started = 0.0
        if self.jobs_argv:
            self.jobs = _start(self.jobs_argv)
            jobs_started = time.monotonic()
            self.say(f"jobs: process pid {self.jobs.pid}")
        restart_at: float | None = None
        while not self.stopping:
            time.sleep(self.poll)
            if self.reload:
                # gunicorn reloads its workers on HUP; the jobs process is restarted so
                # both run the same code afterwards.
                self.reload = False
                self.web.send_signal(signal.SIGHUP)
                if self.jobs is not None and self.jobs.poll() is None:
                    self._stop(self.jobs)
                    self.jobs = None
                    restart_at = time.monotonic()
            code = self.web.poll()
            if code is not None:
                self.say(f"web: gunicorn exited with code {code}; stopping")
                if self.jobs is not None:
                    self._stop(self.jobs)
                return code or 1
            if self.jobs_argv is None:
                continue
            if self.jobs is not None and self.jobs.poll() is not None:
                ran_for = time.monotonic() - jobs_started
                pause = 1.0 if ran_for > 60 else min(pause * 2, 60.0)
                self.say(
                    f"jobs: process exited with code {self.jobs.returncode}; "
                    f"restarting in {pause:.0f} s"
                )
                self.jobs = None
                restart_at = time.monotonic() + pause
            if self.jobs is None and restart_at is not None and time.monotonic() >= restart_at:
                self.jobs = _start(self.jobs_argv)
                jobs_started = time.monotonic()
                restart_at = None
                self.say(f"jobs: process pid {self.jobs.pid}")
        self.say("stopping")
        for process in (self.jobs, self.web):
            if process is not None:
                process.send_signal(signal.SIGTERM)
        for process in (self.jobs, self.web):
            if process is not None:
                self._stop(process, already_told=True)
        return 0

    @staticmethod
    def _stop(process: subprocess.Popen[bytes], *, already_told: bool = False) -> None:
        """SIGTERM (once: the jobs process takes a second one as "now"), then a kill
        after the grace period."""
        if not already_told and process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def python_command(*args: str) -> list[str]:
    """A command running this Python, for a child of the supervisor."""
    return [sys.executable, *args]
