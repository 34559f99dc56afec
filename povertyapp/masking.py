"""Masking of ID numbers, phones and bank accounts for users who may not see them in full."""


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


# Which field is personal data and how it is masked: shared by pages, history, exports and the API.
MASKS = {"id_number": mask_id_number, "phone": mask_phone, "bank_account": mask_account}
