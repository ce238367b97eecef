"""Factories shared by every app's tests. Apps with many models add their own module."""
import factory
from django.contrib.auth import get_user_model

from projects.models import DEFAULT_WORKFLOW, Membership, Project, Role, WorkflowStatus


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    display_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", "pass-w0rd-long")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project
        skip_postgeneration_save = True

    key = factory.Sequence(lambda n: f"P{n}X")
    name = factory.Sequence(lambda n: f"Project {n}")
    description = "A *test* project."

    @factory.post_generation
    def workflow(project, create, extracted, **kwargs):
        if create and not project.statuses.exists():
            WorkflowStatus.objects.bulk_create(
                WorkflowStatus(project=project, slug=slug, name=name, position=i, is_finished=done)
                for i, (slug, name, done) in enumerate(DEFAULT_WORKFLOW)
            )


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MEMBER
