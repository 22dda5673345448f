"""factory_boy factories: each test builds the few objects it needs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import factory
from django.utils import timezone
from django.utils.text import slugify

from members.models import (
    CareAssignment,
    Coordinator,
    Member,
    Organization,
    Role,
    SessionLog,
    SessionStatus,
    Therapist,
    User,
)
from programs.models import Equipment, Exercise, ExerciseImage

PASSWORD = "correct-horse-battery"
# The zone of every factory-made organization and member: five hours behind UTC in winter, so
# a test that takes "today" from UTC instead of from the member fails from 00:00 to 05:00 UTC.
ZONE = "America/New_York"


class OrganizationFactory(factory.django.DjangoModelFactory[Organization]):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Clinic {n}")
    slug = factory.Sequence(lambda n: f"clinic-{n}")
    timezone = ZONE


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = Role.MEMBER
    organization = factory.SubFactory(OrganizationFactory)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj: User, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            obj.save()


class MemberFactory(factory.django.DjangoModelFactory[Member]):
    class Meta:
        model = Member

    user = factory.SubFactory(UserFactory, role=Role.MEMBER)
    organization = factory.SelfAttribute("user.organization")
    timezone = ZONE
    condition = "lumbar_spinal_stenosis"


class TherapistFactory(factory.django.DjangoModelFactory[Therapist]):
    class Meta:
        model = Therapist

    user = factory.SubFactory(UserFactory, role=Role.THERAPIST)
    credentials = "PT, DPT"


class CoordinatorFactory(factory.django.DjangoModelFactory[Coordinator]):
    class Meta:
        model = Coordinator

    user = factory.SubFactory(UserFactory, role=Role.COORDINATOR)


class CareAssignmentFactory(factory.django.DjangoModelFactory[CareAssignment]):
    class Meta:
        model = CareAssignment

    member = factory.SubFactory(MemberFactory)
    therapist = factory.SubFactory(TherapistFactory)
    is_primary = True
    start_date = factory.LazyFunction(lambda: timezone.now().date() - timedelta(days=30))


class SessionLogFactory(factory.django.DjangoModelFactory[SessionLog]):
    """A session row as it is stored, without entries or the roll-ups a logged session
    refreshes: for tests of what reads logs (reminders, alerts, adherence rebuilt from them).
    Tests of logging itself go through the service or the API."""

    class Meta:
        model = SessionLog

    member = factory.SubFactory(MemberFactory)
    local_date = factory.LazyFunction(lambda: timezone.now().date())
    status = SessionStatus.COMPLETED


def staff_user(**kwargs: object) -> User:
    return UserFactory.create(
        role=Role.STAFF, organization=None, is_staff=True, is_superuser=True, **kwargs
    )


# --- the exercise library (programs) -----------------------------------------------------------


class EquipmentFactory(factory.django.DjangoModelFactory[Equipment]):
    class Meta:
        model = Equipment
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"equipment-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").capitalize())


class ExerciseFactory(factory.django.DjangoModelFactory[Exercise]):
    """A global exercise with steps, a region and a dose (pass `organization` for a clinic's)."""

    class Meta:
        model = Exercise
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Exercise {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    organization = None
    summary = "A test exercise."
    category = "strength"
    position = "supine"
    difficulty = 1
    instructions = factory.LazyFunction(lambda: ["Lie on your back.", "Lift the hips."])
    cues = factory.LazyFunction(lambda: ["Breathe out as you lift."])
    dosing = "reps"
    default_sets = 2
    default_reps = 10

    @factory.post_generation
    def regions(obj: Exercise, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        if create:
            codes: list[Any] = extracted if extracted is not None else ["hips"]
            obj.regions.set(codes)  # BodyRegion's key is its code

    @factory.post_generation
    def equipment(
        obj: Exercise, create: bool, extracted: list[Equipment] | None, **kwargs: object
    ) -> None:
        if create and extracted:
            obj.equipment.set(extracted)


class ExerciseImageFactory(factory.django.DjangoModelFactory[ExerciseImage]):
    """A picture with its thumbnails already made (as after the thumbnail task)."""

    class Meta:
        model = ExerciseImage

    exercise = factory.SubFactory(ExerciseFactory)
    image = factory.django.ImageField(width=320, height=160, format="PNG")
    thumbnail_small = factory.django.ImageField(width=160, height=80, format="WEBP")
    thumbnail_large = factory.django.ImageField(width=320, height=160, format="WEBP")
    alt_text = factory.LazyAttribute(lambda o: f"A drawing of {o.exercise.name}")
    kind = "drawing"
    is_main = True
