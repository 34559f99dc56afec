"""Personal data (ID numbers, phones, bank accounts): which fields hold it, how it is masked, who may reveal it.

A model names its personal fields once (`personal_fields = ("phone", "bank_account")`, each a key of MASKS);
pages, forms, history, exports and the API all read that declaration through `personal_fields(model)`.
Everything is shown masked unless the user's role may reveal personal data (roles.ROLES_SEEING_PERSONAL_DATA)
*and* the request asks for it (`?reveal=1`); every reveal writes one PersonalDataAccess row
(`PersonalDataAccess.record`).
"""
from collections.abc import Callable

from .access import sees_personal_data


def mask_id_number(value: str | None) -> str:
    """450481199001010031 → 450481********0031."""
    if not value:
        return ""
    return value[:6] + "*" * (len(value) - 10) + value[-4:] if len(value) > 10 else "*" * len(value)


def mask_phone(value: str | None) -> str:
    """13812345678 → 138****5678."""
    if not value:
        return ""
    return value[:3] + "*" * (len(value) - 7) + value[-4:] if len(value) > 7 else "*" * len(value)


def mask_account(value: str | None) -> str:
    """Bank account: only the last four digits remain."""
    if not value:
        return ""
    return "*" * max(len(value) - 4, 0) + value[-4:]


# Kind of personal data (the field's name on every model that holds it) → its mask.
MASKS = {"id_number": mask_id_number, "phone": mask_phone, "bank_account": mask_account}
REVEAL_PARAMETER = "reveal"


def personal_fields(model) -> dict[str, Callable[[str], str]]:
    """The model's personal fields and their masks (empty for a model without any)."""
    return {name: MASKS[name] for name in getattr(model, "personal_fields", ())}


def wants_reveal(request) -> bool:
    """The user asked to see personal data in full (`?reveal=1`) and the role allows it."""
    asked = request.GET.get(REVEAL_PARAMETER, "").lower() in {"1", "true", "yes"}
    return asked and sees_personal_data(request.user)
