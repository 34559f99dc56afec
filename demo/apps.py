from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The synthetic demo county (`manage.py seed_demo`): on top of every app, since it writes them all."""

    name = "demo"
