from django.apps import AppConfig
from django.core import checks


class EngagementConfig(AppConfig):
    name = "newsdesk.engagement"
    label = "engagement"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from newsdesk.engagement import hooks

        checks.register(check_settings)
        hooks.register()


def check_settings(app_configs=None, **kwargs):
    """Settings that env validation alone cannot judge, reported at start-up."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.utils.module_loading import import_string

    from newsdesk.engagement import selectors

    errors = []
    try:
        selectors.reaction_kinds()
    except ImproperlyConfigured as exc:
        errors.append(checks.Error(str(exc), id="engagement.E001"))
    if settings.NEWSDESK_MOST_READ_ORDER not in selectors.ORDERS:
        errors.append(
            checks.Error(
                f"NEWSDESK_MOST_READ_ORDER={settings.NEWSDESK_MOST_READ_ORDER!r}: "
                f"use one of {', '.join(selectors.ORDERS)}.",
                id="engagement.E002",
            )
        )
    try:
        import_string(settings.NEWSDESK_VIEW_COUNTER)
    except ImportError as exc:
        errors.append(
            checks.Error(f"NEWSDESK_VIEW_COUNTER: {exc}", id="engagement.E003")
        )
    return errors
