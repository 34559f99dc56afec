"""Files exchanged with townships and the province keep the national Chinese format, whatever the UI language."""
from django.utils import translation

EXCHANGE_LANGUAGE = "zh-hans"


def exchange_format():
    """Context manager: headers and code labels in the national system's Chinese while it is active."""
    return translation.override(EXCHANGE_LANGUAGE)
