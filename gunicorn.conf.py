"""gunicorn settings, read from the environment (PORT, WEB_CONCURRENCY, ...)."""
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads let a worker keep serving while a phone uploads slowly over mobile data. The worker is
# gthread whose event loop collects request heads, so a client sending its header byte by byte
# holds no thread (survey/gunicorn_worker.py, issue 12); heads not complete within
# GUNICORN_HEAD_TIMEOUT seconds (10) are closed. GUNICORN_WORKER_CLASS=gthread gives the plain one.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "survey.gunicorn_worker.HeadBufferingWorker")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
accesslog = "-"
errorlog = "-"
# Unit-link tokens (/l/<token>) and secret-looking query values never reach the log (issue 8).
logger_class = "survey.access_log.RedactingLogger"
# No version banner in responses.
proc_name = "survey"
