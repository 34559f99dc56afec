from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Figures over the register, the area tree, the workflows and the money: the home page for now."""

    name = "reports"
    url_prefix = ""
