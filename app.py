"""WSGI entry point: gunicorn app:app, flask --app app <command>."""
from survey import create_app

app = create_app()

__all__ = ["app", "create_app"]
