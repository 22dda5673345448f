"""factory_boy factories: each test builds the few objects it needs."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from members.models import CareAssignment, Coordinator, Member, Organization, Role, Therapist, User

PASSWORD = "correct-horse-battery"


class OrganizationFactory(factory.django.DjangoModelFactory[Organization]):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Clinic {n}")
    slug = factory.Sequence(lambda n: f"clinic-{n}")
    timezone = "America/New_York"


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
    timezone = "America/New_York"
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


def staff_user(**kwargs: object) -> User:
    return UserFactory.create(
        role=Role.STAFF, organization=None, is_staff=True, is_superuser=True, **kwargs
    )
