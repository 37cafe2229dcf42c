"""HTML views: thin handlers that parse a form, call one service, render."""

from __future__ import annotations

from flask import Flask


def register_web(app: Flask) -> None:
    from . import (
        account,
        admin,
        approvals,
        audit,
        auth,
        calendar_feed,
        cases,
        directory,
        directory_hsds,
        emergency,  # noqa: F401  (adds its routes to the cases blueprint)
        errors,
        health,
        home,
        hotline,
        library,
        notifications,
        partner,
        public_reports,
        referrals,
        reports,
        stays,
        supervision,
    )
    from .assets import init_assets
    from .dashboard import bp as dashboard_bp
    from .emergency_rules import bp as emergency_rules_bp
    from .formatting import init_formatting
    from .hot_cases import bp as hot_cases_bp
    from .mail_admin import bp as mail_admin_bp
    from .nav import init_nav
    from .observatory import bp as observatory_bp
    from .sla_policies import bp as sla_bp

    init_nav(app)
    init_assets(app)
    init_formatting(app)

    app.register_blueprint(auth.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(home.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(cases.bp)
    app.register_blueprint(referrals.bp)
    app.register_blueprint(hotline.bp)
    app.register_blueprint(public_reports.bp)
    app.register_blueprint(library.bp)
    app.register_blueprint(calendar_feed.bp)
    app.register_blueprint(supervision.bp)
    app.register_blueprint(partner.bp)
    app.register_blueprint(directory_hsds.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(directory.bp)
    app.register_blueprint(stays.bp)
    app.register_blueprint(notifications.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(approvals.bp)
    app.register_blueprint(mail_admin_bp)
    app.register_blueprint(emergency_rules_bp)
    app.register_blueprint(audit.bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(observatory_bp)
    app.register_blueprint(hot_cases_bp)
    app.register_blueprint(sla_bp)
    errors.register_error_pages(app)
