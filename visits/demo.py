"""The visits' share of the synthetic demo county (demo.county calls it for every pairing it writes)."""
import datetime
import random

from .choices import Kind, Measure, Observation, Status
from .models import VisitPolicy

MEASURE_CODES = list(Measure.values)
INTERVAL_DAYS = VisitPolicy._meta.get_field("interval_days").default
DIMENSIONS = ("food_clothing", "education", "medical", "housing", "water")


def pairing_visits(rng: random.Random, today: datetime.date, cadre_id: int, household_id: int) -> list[dict]:
    """Visit rows relative to today, so the phone pages show real due and overdue lists: most households were
    visited in the last six weeks (all found secure) and have their next visit planned a month later."""
    rows = []
    planned = today + datetime.timedelta(days=rng.randint(0, 14))
    if rng.random() < 0.85:
        visited = today - datetime.timedelta(days=rng.randint(3, 45))
        rows.append({
            "household_id": household_id, "visitor_id": cadre_id, "planned_date": visited, "actual_date": visited,
            "status": Status.DONE, "kind": Kind.HOME if rng.random() < 0.8 else Kind.PHONE,
            "measures": rng.sample(MEASURE_CODES, rng.randint(1, 2)),
            **dict.fromkeys(DIMENSIONS, Observation.SECURE),
        })
        planned = visited + datetime.timedelta(days=INTERVAL_DAYS)
    rows.append({
        "household_id": household_id, "visitor_id": cadre_id, "planned_date": planned, "status": Status.PLANNED,
    })
    return rows
