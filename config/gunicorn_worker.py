"""gunicorn's threaded worker, with a read timeout on every client socket (issue 19, M3).

gunicorn's ``gthread`` worker waits for a new connection's first bytes in its poller, but once a
request has begun it reads the rest of the headers with a blocking socket and no timeout: two
dozen clients that send half a request line and stop hold every thread, and every other request
times out (slow-headers attack). This worker puts ``WEB_READ_TIMEOUT_SECONDS`` (10) on the
socket of each request: a client that sends nothing for that long is disconnected and its thread
serves others. Reads of an upload's body get their own, longer bound
(``config.security.body_read_timeout``). A buffering reverse proxy in front (platform/DEPLOY.md)
keeps slow clients away from gunicorn altogether; this worker keeps the single-machine setup safe
without one.

Used by ``platform/gunicorn.conf.py`` (``worker_class``).
"""

import os

from gunicorn.workers.gthread import ThreadWorker


def read_timeout_seconds() -> float:
    return float(os.environ.get("WEB_READ_TIMEOUT_SECONDS", "10"))


class SlowClientSafeThreadWorker(ThreadWorker):
    def handle(self, conn):
        if not getattr(conn, "read_timeout_set", False):
            # gunicorn makes the socket blocking, without a timeout, and then calls init() before
            # it parses each request (a new one or the next on a kept-alive connection).
            initialise = conn.init

            def init_with_timeout():
                initialise()
                conn.sock.settimeout(read_timeout_seconds())

            conn.init = init_with_timeout
            conn.read_timeout_set = True
        return super().handle(conn)
