"""{{ amount|yuan }}: money as the verdicts print it ("3,335.00 元")."""
from decimal import Decimal

from django import template

from exits.rules import yuan as format_yuan

register = template.Library()


@register.filter
def yuan(amount):
    return "—" if amount in (None, "") else format_yuan(Decimal(str(amount)))
