"""Code lists of the national 建档立卡 system (labels as the forms print them)."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class IdentificationStandard(models.TextChoices):
    NATIONAL = "national", _("国家标准")
    PROVINCIAL = "provincial", _("省定标准")
    MUNICIPAL = "municipal", _("市定标准")


class Attribute(models.TextChoices):
    GENERAL = "general", _("一般贫困户")
    SUBSISTENCE = "subsistence", _("低保贫困户")
    DESTITUTE = "destitute", _("特困供养贫困户")


class Cause(models.TextChoices):
    ILLNESS = "01", _("因病")
    DISABILITY = "02", _("因残")
    SCHOOLING = "03", _("因学")
    DISASTER = "04", _("因灾")
    LACK_OF_LAND = "05", _("缺土地")
    LACK_OF_WATER = "06", _("缺水")
    LACK_OF_SKILLS = "07", _("缺技术")
    LACK_OF_LABOUR = "08", _("缺劳力")
    LACK_OF_CAPITAL = "09", _("缺资金")
    POOR_TRANSPORT = "10", _("交通条件落后")
    LACK_OF_DRIVE = "11", _("自身发展动力不足")
    MARRIAGE = "12", _("因婚")
    FUNERAL = "13", _("因丧")
    OTHER = "99", _("其他")


class Status(models.TextChoices):
    NOT_EXITED = "0", _("未脱贫")
    EXITED_WITH_POLICY = "1", _("已脱贫(享受政策)")
    RETURNED = "3", _("返贫")
    EXITED = "4", _("已脱贫(不再享受政策)")
    REMOVED = "R", _("清退")
    NATURAL_DECREASE = "N", _("自然减少")
    CANDIDATE = "C", _("待识别")  # entered for a 识别纳入 case, not yet on the register (reviews app)

    @classmethod
    def poor(cls):
        """Statuses counted as still poor (the incidence numerator)."""
        return [cls.NOT_EXITED, cls.RETURNED]

    @classmethod
    def on_register(cls):
        """Households the register counts (and the exit check judges): not removed, gone or still candidates."""
        return [cls.NOT_EXITED, cls.EXITED_WITH_POLICY, cls.RETURNED, cls.EXITED]

    @classmethod
    def on_entry(cls):
        """Statuses a household may be entered with by hand; every later change goes through a review case
        (reviews app) or an identification round, which record why."""
        return [cls.CANDIDATE, cls.NOT_EXITED]


class HousingGrade(models.TextChoices):
    A = "A", _("A级")
    B = "B", _("B级")
    C = "C", _("C级(危房)")
    D = "D", _("D级(危房)")


class Relation(models.TextChoices):
    HEAD = "01", _("户主")
    SPOUSE = "02", _("配偶")
    SON = "03", _("之子")
    DAUGHTER = "04", _("之女")
    DAUGHTER_IN_LAW = "05", _("之儿媳")
    SON_IN_LAW = "06", _("之女婿")
    GRANDSON = "07", _("之孙子")
    GRANDDAUGHTER = "08", _("之孙女")
    DAUGHTERS_SON = "09", _("之外孙子")
    DAUGHTERS_DAUGHTER = "10", _("之外孙女")
    FATHER = "11", _("之父")
    MOTHER = "12", _("之母")
    WIFES_FATHER = "13", _("之岳父")
    WIFES_MOTHER = "14", _("之岳母")
    HUSBANDS_FATHER = "15", _("之公公")
    HUSBANDS_MOTHER = "16", _("之婆婆")
    GRANDFATHER = "17", _("之祖父")
    GRANDMOTHER = "18", _("之祖母")
    MOTHERS_FATHER = "19", _("之外祖父")
    MOTHERS_MOTHER = "20", _("之外祖母")
    SIBLING = "21", _("之兄弟姐妹")
    GREAT_GRANDSON = "22", _("之曾孙子")
    GREAT_GRANDDAUGHTER = "23", _("之曾孙女")
    NEPHEW = "24", _("之侄儿")
    NIECE = "25", _("之侄女")
    SIBLINGS_WIFE = "26", _("之兄弟媳妇")
    UNCLE = "27", _("之叔伯")
    OTHER = "99", _("其他")


class IdMissingReason(models.TextChoices):
    """Why a member is registered without an ID number (未办证): infants, some elderly."""

    NOT_ISSUED = "not_issued", _("未办理身份证")
    UNREGISTERED = "unregistered", _("户口待登记")


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


MALE_RELATIONS = {
    Relation.SON, Relation.SON_IN_LAW, Relation.GRANDSON, Relation.DAUGHTERS_SON, Relation.FATHER,
    Relation.WIFES_FATHER, Relation.HUSBANDS_FATHER, Relation.GRANDFATHER, Relation.MOTHERS_FATHER,
    Relation.GREAT_GRANDSON, Relation.NEPHEW, Relation.UNCLE,
}
FEMALE_RELATIONS = {
    Relation.DAUGHTER, Relation.DAUGHTER_IN_LAW, Relation.GRANDDAUGHTER, Relation.DAUGHTERS_DAUGHTER,
    Relation.MOTHER, Relation.WIFES_MOTHER, Relation.HUSBANDS_MOTHER, Relation.GRANDMOTHER,
    Relation.MOTHERS_MOTHER, Relation.GREAT_GRANDDAUGHTER, Relation.NIECE, Relation.SIBLINGS_WIFE,
}


def sex_implied_by(relation: str) -> str | None:
    if relation in MALE_RELATIONS:
        return Sex.MALE
    if relation in FEMALE_RELATIONS:
        return Sex.FEMALE
    return None


class Education(models.TextChoices):
    ILLITERATE = "1", _("文盲或半文盲")
    PRIMARY = "2", _("小学")
    JUNIOR = "3", _("初中")
    SENIOR = "4", _("高中")
    SECONDARY_VOCATIONAL = "5", _("中专")
    COLLEGE = "6", _("大专")
    BACHELOR = "7", _("本科及以上")


class SchoolStatus(models.TextChoices):
    PRESCHOOL_CHILD = "01", _("学龄前儿童")
    PRESCHOOL_EDUCATION = "02", _("学前教育")
    PRIMARY = "03", _("小学")
    GRADE_7 = "04", _("七年级")
    GRADE_8 = "05", _("八年级")
    GRADE_9 = "06", _("九年级")
    SENIOR_1 = "07", _("普通高中一年级")
    SENIOR_2 = "08", _("普通高中二年级")
    SENIOR_3 = "09", _("普通高中三年级")
    VOCATIONAL_1 = "10", _("中职一年级")
    VOCATIONAL_2 = "11", _("中职二年级")
    VOCATIONAL_3 = "12", _("中职三年级")
    HIGHER_VOCATIONAL_1 = "13", _("高职高专一年级")
    HIGHER_VOCATIONAL_2 = "14", _("高职高专二年级")
    HIGHER_VOCATIONAL_3 = "15", _("高职高专三年级")
    TECHNICIAN_COLLEGE = "16", _("技师学院")
    UNDERGRADUATE = "17", _("本科")
    POSTGRADUATE = "18", _("硕士研究生及以上")
    NOT_IN_SCHOOL = "19", _("非在校生")


class Health(models.TextChoices):
    HEALTHY = "1", _("健康")
    CHRONIC = "2", _("长期慢性病")
    SERIOUS = "3", _("患有大病")
    DISABLED = "4", _("残疾")


class LabourSkill(models.TextChoices):
    ORDINARY = "1", _("普通劳动力")
    SKILLED = "2", _("技能劳动力")
    WEAK = "3", _("弱劳动力或半劳动力")
    LOST = "4", _("丧失劳动力")
    NONE = "5", _("无劳动力")


class WorkStatus(models.TextChoices):
    IN_TOWNSHIP = "1", _("乡(镇)内务工")
    IN_COUNTY = "2", _("乡(镇)外县内务工")
    IN_PROVINCE = "3", _("县外省内务工")
    OUT_OF_PROVINCE = "4", _("省外务工")
    OTHER = "5", _("其他")


class Ethnicity(models.TextChoices):
    HAN = "01", _("汉族")
    ZHUANG = "08", _("壮族")
    YAO = "13", _("瑶族")
    MIAO = "06", _("苗族")
    DONG = "12", _("侗族")
    OTHER = "99", _("其他民族")
