"""gunicorn settings; every value can be overridden from the environment."""

import multiprocessing
import os

bind = os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", min(4, multiprocessing.cpu_count() * 2 + 1)))
threads = int(os.environ.get("WEB_THREADS", "4"))
# gthread with a read timeout on every client socket: slow or half-sent requests cannot hold all
# threads (issue 19, M3; config/gunicorn_worker.py). In production put a buffering reverse proxy
# in front as well (platform/DEPLOY.md).
worker_class = "config.gunicorn_worker.SlowClientSafeThreadWorker"
# Uploads stream in chunks; a slow client must not be cut off mid-chunk.
timeout = int(os.environ.get("WEB_TIMEOUT", "120"))
graceful_timeout = 30
accesslog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
