from __future__ import annotations

from django import template

from newsdesk.news import dashboard

register = template.Library()


@register.simple_tag(takes_context=True)
def dashboard_panels(context):
    return dashboard.panels(context["request"])


@register.simple_tag
def panel_table(panel):
    return dashboard.table_html(panel.columns, panel.rows)
