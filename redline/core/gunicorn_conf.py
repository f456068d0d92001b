"""gunicorn settings of `redline serve`.

gunicorn's master only supervises its workers: this file imports nothing of Django and
defines no hook that would, so no thread, import or database connection of the
application is ever forked into a worker. Each worker loads `redline.wsgi` itself (no
preloading). The periodic jobs run in a process of their own (redline.core.supervise).
"""

from __future__ import annotations

preload_app = False
# A worker that stops answering for this long is replaced.
timeout = 60
graceful_timeout = 30
# gunicorn's control socket would run a thread in the master (and one socket path is
# shared by every gunicorn of the machine): off.
control_socket_disable = True
