"""Deny by default: every URL pattern must say how it is scoped (the CommCare HQ location-safe check)."""
from django.urls import URLPattern, URLResolver, get_resolver

# Namespaces whose views are protected by their own framework, each with the reason.
EXEMPT_NAMESPACES = {
    "admin": "Django admin: staff only; every ModelAdmin extends povertyapp.admin.RestrictedAdmin",
}
EXEMPT_PREFIXES = ("i18n/",)  # set_language changes a session preference, shows no data


def walk(patterns, prefix="", namespace=None):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), entry.namespace or namespace)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), namespace, entry.callback


def declares_scope(callback) -> bool:
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    for candidate in (callback, view_class, getattr(callback, "__wrapped__", None)):
        if candidate is not None and (getattr(candidate, "area_scoped", False) or getattr(candidate, "public_view", False)):
            return True
    return False


def test_every_view_declares_its_scope():
    undeclared = [
        route
        for route, namespace, callback in walk(get_resolver().url_patterns)
        if namespace not in EXEMPT_NAMESPACES and not route.startswith(EXEMPT_PREFIXES) and not declares_scope(callback)
    ]
    assert undeclared == [], f"views without a declared area scope: {undeclared}"


def test_the_walk_finds_the_registry_views():
    routes = {route for route, _, _ in walk(get_resolver().url_patterns)}
    assert "households/<int:pk>/" in routes and "villages/" in routes
