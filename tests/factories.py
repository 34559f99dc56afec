"""Small builders for synthetic test data: valid-looking IDs, invented names."""
import datetime
import itertools
from decimal import Decimal

from functools import lru_cache

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from stdnum.cn import ric

from households import choices
from households.models import Household, IncomeRecord, Member, Pairing
from povertyapp.models import StaffProfile
from villages.models import Cadre, County, Township, Village, VillagePopulation

_sequence = itertools.count(1)


def id_number(birth_date=datetime.date(1980, 5, 17), male=True, area="450481") -> str:
    """A synthetic ID number with a correct check character."""
    serial = next(_sequence) % 500 * 2 + (1 if male else 0)
    body = f"{area}{birth_date:%Y%m%d}{serial:03d}"
    return body + ric.calc_check_digit(body + "0")


def county(name="示范县", code="450481000000"):
    return County.objects.get_or_create(code=code, defaults={"name": name})[0]


def township(name=None, county_=None):
    n = next(_sequence)
    return Township.objects.create(county=county_ or county(), name=name or f"测试镇{n}", code=f"4504811{n:05d}")


def village(township_=None, name=None, is_poor=True, population=1000):
    n = next(_sequence)
    township_ = township_ or township()
    obj = Village.objects.create(
        township=township_, name=name or f"测试村{n}", code=f"{450481200000 + n:012d}", is_poor=is_poor
    )
    if population:
        VillagePopulation.objects.create(
            village=obj, as_of=datetime.date(2016, 1, 1), registered_persons=population,
            registered_households=population // 4,
        )
    return obj


def household(village_=None, members=2, **fields):
    """A household with a male head aged ~46 and `members - 1` further members (spouse first)."""
    n = next(_sequence)
    defaults = {
        "number": f"4504812{n:07d}",
        "village": village_ or village(),
        "year_identified": 2014,
        "attribute": choices.Attribute.GENERAL,
        "main_cause": choices.Cause.ILLNESS,
        "housing_grade": choices.HousingGrade.B,
    }
    defaults.update(fields)
    obj = Household.objects.create(**defaults)
    relations = [choices.Relation.HEAD, choices.Relation.SPOUSE, choices.Relation.SON, choices.Relation.DAUGHTER]
    for index in range(members):
        relation = relations[index] if index < len(relations) else choices.Relation.OTHER
        member(obj, relation=relation, male=index in (0, 2), name=f"成员{n}-{index}")
    return obj


def member(household_, relation=choices.Relation.SON, male=True, birth_date=None, name="张三", **fields):
    birth_date = birth_date or (datetime.date(1980, 3, 1) if relation in ("01", "02") else datetime.date(2010, 3, 1))
    adult = birth_date < datetime.date(2005, 1, 1)
    values = {
        "household": household_,
        "name": name,
        "id_number": id_number(birth_date, male),
        "birth_date": birth_date,  # taken from the ID number when there is one
        "sex": choices.Sex.MALE if male else choices.Sex.FEMALE,
        "relation": relation,
        "education": choices.Education.JUNIOR if adult else "",
        "school_status": "" if adult else choices.SchoolStatus.PRIMARY,
    }
    values.update(fields)
    obj = Member(**values)
    obj.full_clean()
    obj.save()
    return obj


def income(household_, year=2016, **amounts):
    values = {"wage_income": Decimal("12000"), "business_income": Decimal("3000")}
    values.update(amounts)
    return IncomeRecord.objects.create(household=household_, year=year, **values)


def cadre(name="李干部"):
    return Cadre.objects.create(name=name, work_unit="县扶贫办", phone="13800000000")


def pairing(cadre_, household_):
    return Pairing.objects.create(cadre=cadre_, household=household_, start_date=datetime.date(2016, 1, 1))


PASSWORD = "pass-for-tests-1"


@lru_cache(maxsize=1)
def _password_hash() -> str:
    """Hashed once per session: the real hasher is deliberately slow."""
    return make_password(PASSWORD)


def user(role, username=None, **area):
    username = username or f"{role}-{next(_sequence)}"
    account = get_user_model().objects.create(username=username, password=_password_hash())
    StaffProfile.objects.create(user=account, role=role, **area)
    return account
