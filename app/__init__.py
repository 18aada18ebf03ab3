"""Lotline: recall and quality incident management."""

from pathlib import Path

from flask import Flask

from config import Config, config_from_env


def create_app(config_class: type[Config] | None = None, overrides: dict | None = None) -> Flask:
    """Build the application: config, extensions, blueprints, error pages, CLI."""
    config_class = config_class or config_from_env()
    config_class.validate()
    app = Flask(__name__, template_folder="../templates", instance_relative_config=False)
    app.config.from_object(config_class)
    if overrides:
        app.config.update(overrides)

    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_request_guards(app)
    register_commands(app)
    trust_proxies(app)
    return app


def trust_proxies(app: Flask) -> None:
    """Behind PROXY_HOPS reverse proxies, take the client address, scheme and host from their
    X-Forwarded-* headers (rate limits count per client, links and secure cookies use https).
    Zero (the default) trusts no header: a client could otherwise claim any address."""
    hops = app.config["PROXY_HOPS"]
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def register_extensions(app: Flask) -> None:
    from config import INSTANCE_DIR

    from .extensions import bootstrap, csrf, db, limiter, login_manager, migrate
    from .web.converters import BoundedIntConverter

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    app.url_map.converters["int"] = BoundedIntConverter
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        from .models.db_setup import postgres_connect_args

        options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        connect_args = options.get("connect_args", {}) | postgres_connect_args(app.config["POSTGRES_SETTINGS"])
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options | {"connect_args": connect_args}
    db.init_app(app)
    from .models.db_setup import include_name
    from .models.types import render_item

    migrate.init_app(
        app,
        db,
        directory=str(Path(app.root_path).parent / "migrations"),
        render_as_batch=True,
        compare_type=True,
        render_item=render_item,
        include_name=include_name,  # the search indexes and FTS tables live in migrations only
    )
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    csrf.init_app(app)
    bootstrap.init_app(app)
    limiter.init_app(app)

    from . import models  # noqa: F401  (register every model with the metadata)
    from .models.db_setup import install_engine_hooks

    with app.app_context():
        install_engine_hooks(db.engine)

    from .alerts.dispatch import subscribe_all

    subscribe_all()


def register_blueprints(app: Flask) -> None:
    from .admin import bp as admin_bp
    from .alerts import bp as alerts_bp
    from .attachments import bp as attachments_bp
    from .auth import bp as auth_bp
    from .capa import bp as capa_bp
    from .complaints import bp as complaints_bp
    from .imports import bp as imports_bp
    from .incidents import bp as incidents_bp
    from .main import bp as main_bp
    from .press import bp as press_bp
    from .recalls import bp as recalls_bp
    from .respond import bp as respond_bp
    from .search import bp as search_bp
    from .trace import bp as trace_bp
    from .trends import bp as trends_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(complaints_bp, url_prefix="/complaints")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(imports_bp, url_prefix="/imports")
    app.register_blueprint(trace_bp, url_prefix="/lots")
    app.register_blueprint(incidents_bp, url_prefix="/incidents")
    app.register_blueprint(capa_bp, url_prefix="/actions")
    app.register_blueprint(recalls_bp, url_prefix="/recalls")
    app.register_blueprint(press_bp, url_prefix="/press")
    app.register_blueprint(respond_bp, url_prefix="/respond")
    app.register_blueprint(attachments_bp, url_prefix="/attachments")
    app.register_blueprint(alerts_bp, url_prefix="/alerts")
    app.register_blueprint(trends_bp, url_prefix="/trends")
    app.register_blueprint(search_bp, url_prefix="/search")


def register_errorhandlers(app: Flask) -> None:
    from .web.errors import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from .web.template_helpers import register

    register(app)


def register_request_guards(app: Flask) -> None:
    from .web.guards import register

    register(app)


def register_commands(app: Flask) -> None:
    from .cli import register

    register(app)
