import pytest
from django.core.files.base import ContentFile
from identification.models import IdentificationRound
from identification.services import validate_round, commit_round
from households.models import Household, Member, IncomeRecord
from tests.identification_workbooks import RoundBuilder

@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path

def test_smoke(county):
    b = RoundBuilder()
    code = county.villages[0].code
    for i in range(5):
        b.add_household(f"9000000{i:03d}", code, size=3)
    content = b.workbook()
    r = IdentificationRound.objects.create(name="t", year=2016, kind="adjustment", created_by=county.users.county_staff,
        file=ContentFile(content, name="a.xlsx"), original_name="a.xlsx")
    validate_round(r)
    r.refresh_from_db()
    print(r.status, r.problem, r.errors, r.warnings, list(r.issues.values_list("row","rule","message")))
    print(list(r.changes.values_list("kind","household_number","detail"))[:3])
    assert r.status == "validated"
    assert commit_round(r, county.users.county_staff)
    r.refresh_from_db()
    print(r.status, r.error, Household.objects.count(), Member.objects.count(), IncomeRecord.objects.count(), Household.history.count(), Member.history.count())
    h0 = Household.history.count(); m0=Member.history.count()
    r2 = IdentificationRound.objects.create(name="t2", year=2016, kind="adjustment", created_by=county.users.county_staff,
        file=ContentFile(content, name="a.xlsx"), original_name="a.xlsx")
    validate_round(r2); r2.refresh_from_db()
    print(r2.status, list(r2.changes.values_list("kind","household_number","detail"))[:5])
    assert commit_round(r2, county.users.county_staff)
    assert Household.history.count() == h0 and Member.history.count() == m0
