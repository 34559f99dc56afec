"""API serializers for visits and their photos: the same rules as the pages (visits.rules, visits.photos)."""
from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import NotFound

from povertyapp.api import ScopedModelSerializer, ScopedPrimaryKeyRelatedField
from villages.models import Cadre
from visits import rules
from visits.choices import Measure, Status
from visits.models import Visit, VisitHousehold, VisitPhoto
from visits.photos import check_photo


class HouseholdField(ScopedPrimaryKeyRelatedField):
    """A household the user may record visits for; any other answers 404, as on the pages."""

    def to_internal_value(self, data):
        try:
            return self.get_queryset().get(pk=data)
        except ObjectDoesNotExist:
            raise NotFound(_("户不存在或不在您的走访范围内。")) from None
        except (TypeError, ValueError):
            self.fail("incorrect_type", data_type=type(data).__name__)


class VisitorField(ScopedPrimaryKeyRelatedField):
    """The visiting cadre: a pairing cadre may only name themself (visits.rules.visitor_choices)."""

    def get_queryset(self):
        return rules.visitor_choices(self.context["request"].user)


class VisitPhotoSerializer(ScopedModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = VisitPhoto
        fields = ["id", "visit", "image", "url", "content_type", "size", "uploaded_at"]
        read_only_fields = ["content_type", "size"]
        extra_kwargs = {"image": {"write_only": True}}

    def get_url(self, photo) -> str:
        return reverse("api:visitphoto-content", args=[photo.pk])

    def validate(self, attrs):
        try:
            attrs["content_type"] = check_photo(attrs["image"])
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"image": exc.messages}) from exc
        attrs["size"] = attrs["image"].size
        return super().validate(attrs)

    def create(self, validated_data):
        return rules.add_photo(validated_data["visit"], validated_data["image"], validated_data["content_type"])


class VisitSerializer(ScopedModelSerializer):
    """A visit record. Posting a done visit completes the household's open plan, as the page does;
    `next_planned_date` plans the next visit."""

    household = HouseholdField(queryset=VisitHousehold.objects.all())
    household_number = serializers.CharField(source="household.number", read_only=True)
    visitor = VisitorField(queryset=Cadre.objects.all(), required=False, help_text=_("默认为当前用户的干部档案"))
    visitor_name = serializers.CharField(source="visitor.name", read_only=True)
    measures = serializers.ListField(child=serializers.ChoiceField(choices=Measure.choices), required=False)
    next_planned_date = serializers.DateField(required=False, write_only=True, help_text=_("下次走访日期"))
    photos = VisitPhotoSerializer(many=True, read_only=True)

    class Meta:
        model = Visit
        fields = [
            "id", "household", "household_number", "visitor", "visitor_name", "kind", "status", "planned_date",
            "actual_date", "food_clothing", "food_clothing_note", "education", "education_note", "medical",
            "medical_note", "housing", "housing_note", "water", "water_note", "measures", "needs", "needs_met",
            "next_planned_date", "photos", "recorded_by", "created_at", "updated_at",
        ]
        read_only_fields = ["recorded_by"]
        extra_kwargs = {"status": {"default": Status.DONE}}

    def validate(self, attrs):
        next_date = attrs.pop("next_planned_date", None)
        if self.instance is None and "visitor" not in attrs:
            attrs["visitor"] = rules.own_cadre(self.context["request"].user)
            if attrs["visitor"] is None:
                raise serializers.ValidationError({"visitor": _("请指定走访人。")})
        attrs = super().validate(attrs)
        actual = attrs.get("actual_date", getattr(self.instance, "actual_date", None))
        try:
            rules.check_next_date(actual, next_date)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        attrs["next_planned_date"] = next_date
        return attrs

    def create(self, validated_data):
        if validated_data.get("status") != Status.DONE:
            validated_data.pop("next_planned_date")
            return super().create(validated_data)
        return self._record(rules.open_plan_or_new(validated_data["household"]), validated_data)

    def update(self, instance, validated_data):
        if validated_data.get("status", instance.status) != Status.DONE:
            validated_data.pop("next_planned_date")
            return super().update(instance, validated_data)
        return self._record(instance, validated_data)

    def _record(self, visit, validated_data):
        next_date = validated_data.pop("next_planned_date")
        for name, value in validated_data.items():
            setattr(visit, name, value)
        return rules.record_visit(visit, next_planned_date=next_date, recorded_by=self.context["request"].user)
