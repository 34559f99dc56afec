"""Django's zh_Hans formats, with figures grouped by thousands as statistical reports print them (11,238 户)."""
from django.conf.locale.zh_Hans.formats import *  # noqa: F401,F403

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
