"""The application factory."""
from __future__ import annotations

import importlib
import pkgutil
import re
import uuid
from pathlib import Path

from flask import Flask, g, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.middleware.proxy_fix import ProxyFix

from survey import models
from survey.questionnaires import versioning  # noqa: F401  (guards published versions)
from survey import audit  # noqa: F401,E402  (chains audit rows by hash, refuses their updates and deletes)
from survey.config import ROOT, Config
from survey.database import write_intent
from survey.throttle import init_throttle
from survey.request_text import displayable, refuse_invalid_text
from survey.extensions import compress, csrf, db, login_manager, migrate
from survey.storage import init_storage
from survey.jobs import init_queue

class SessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions whose cookie is Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or (
            has_request_context() and request.is_secure)

    def save_session(self, app: Flask, session, response) -> None:
        # Static assets are the same for everyone: no session cookie refresh on them, hence no
        # "Vary: Cookie". The cookie's signature changes every second (the idle timeout refreshes it),
        # so with Vary a phone revalidated the CSS and JS on every page view: one more round trip
        # before the first paint (bench/phone_speed.py, warm cache). The page's own response refreshes it.
        if has_request_context() and request.endpoint == "assets" and not session.modified:
            return
        super().save_session(app, session, response)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._-]{1,36}")
CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def create_app(config: object | None = None) -> Flask:
    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder=None,
                instance_path=str(Config().INSTANCE_PATH if config is None else config.INSTANCE_PATH))
    app.config.from_object(config or Config())
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if app.config.get("TRUST_PROXY"):
        n = int(app.config["TRUST_PROXY"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    register_extensions(app)
    register_hooks(app)
    register_blueprints(app)
    from survey.errors import register_error_handlers
    register_error_handlers(app)
    from survey.cli import register_commands
    register_commands(app)
    from survey.worker import register_worker_command
    register_worker_command(app)
    from survey.assets import init_assets
    init_assets(app, ROOT / "static")
    from survey.templating import register_template_helpers
    register_template_helpers(app)
    app.jinja_env.finalize = displayable  # text stored before the boundary check never breaks a page
    return app


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True,
                     compare_type=True)
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # checked in before_request, see below
    csrf.init_app(app)
    compress.init_app(app)
    app.session_interface = SessionInterface()
    init_throttle(app)  # anonymous denials: Flask-Limiter, survey/throttle.py
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录（长时间未操作会自动退出登录）"
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "basic"
    init_storage(app)
    init_queue(app)  # the job queue (survey/jobs): SQLite under instance/, or Redis

    @login_manager.user_loader
    def load_user(token: str):
        if token.startswith("link:"):  # a signed-link session: see survey/links/session.py
            from survey.links.session import load_user as load_link_user
            return load_link_user(token)
        user_id, _, session_token = token.partition(":")
        if not user_id.isdigit():
            return None
        user = db.session.get(models.User, int(user_id))
        if user is None or user.is_disabled or user.session_token != session_token:
            return None
        return user


def register_hooks(app: Flask) -> None:
    from survey.permissions import enforce_access
    from survey.permissions.link_session import enforce_link_session

    @app.before_request
    def start_request():
        given = request.headers.get("X-Request-ID", "")  # a proxy's id, if it is a plain token
        g.request_id = given if REQUEST_ID_RE.fullmatch(given) else str(uuid.uuid4())
        view = app.view_functions.get(request.endpoint) if request.endpoint else None
        unsafe = request.method not in SAFE_METHODS and not getattr(view, "reads_first", False)
        write_intent.set(unsafe or getattr(view, "writes", False))

    app.before_request(enforce_link_session)  # a signed-link session: its own check, first
    app.before_request(enforce_access)

    @app.before_request
    def check_csrf():
        """CSRF on every unsafe request. Views built on a form re-show it with what was typed."""
        if request.method in SAFE_METHODS or request.endpoint is None:
            return None
        try:
            csrf.protect()
        except CSRFError:
            view = app.view_functions.get(request.endpoint)
            from survey import audit
            # Written after the view, in its own transaction; unrecorded, the request is not served (503).
            audit.record_after_request("csrf_failed", actor=audit.actor_snapshot(current_user), success=False,
                                       details={"endpoint": request.endpoint}, fail_closed=True)
            if getattr(view, "reshows_form_on_csrf", False):
                g.csrf_failed = True
                return None
            raise
        return None

    app.before_request(refuse_invalid_text)  # NUL and lone surrogates: a 400 before any view

    @app.after_request
    def security_headers(response):
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        h["X-Request-ID"] = g.get("request_id", "")
        if request.is_secure:
            h.setdefault("Strict-Transport-Security", "max-age=31536000")
        cached_file = request.endpoint in CACHED_FILES \
            and response.status_code in (200, 206, 304)  # files: cached privately; their errors not
        if not cached_file:
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.teardown_request
    def end_request(exc):
        write_intent.set(False)


# Every feature is wired the same way: survey/<feature>/blueprint.py holds its `bp`, its views*.py
# modules add the routes (and any template helpers the feature owns) to it.
# Endpoints serving files a browser may keep (each sets its own private Cache-Control).
CACHED_FILES = ("assets", "filling.photo", "filling.photo_thumb", "ledger.evidence_file", "ledger.evidence_thumb")

FEATURES = ("home", "dashboard", "auth", "admin", "questionnaires", "filling", "ledger", "export", "links",
            "visits", "calendar", "reminders", "notices", "inbox", "notify")


def register_blueprints(app: Flask) -> None:
    for feature in FEATURES:
        package = importlib.import_module(f"survey.{feature}")
        for module in sorted(m.name for m in pkgutil.iter_modules(package.__path__)):
            if module == "views" or module.startswith("views_"):
                importlib.import_module(f"survey.{feature}.{module}")
        app.register_blueprint(importlib.import_module(f"survey.{feature}.blueprint").bp)
