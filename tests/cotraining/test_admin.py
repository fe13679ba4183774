import pytest

from cotraining.constants import Role
from cotraining.models import RoleAssignment, User
from cotraining.roles import ROLE_GROUP_NAMES
from cotraining.services import import_establishments
from tests.factories import UserFactory, academie

pytestmark = pytest.mark.django_db


def as_user(client, local):
    client.force_login(User.objects.get(email=f"{local}@demo.entrepairs.fr"))
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/users/",
        "/admin/users/new/",
        "/admin/establishment/",
        "/admin/roleassignment/",
        "/admin/roleassignment/new/",
        "/admin/dataimport/",
        "/admin/reports/site-history/",
        "/admin/settings/cms/platformsettings/",
        "/admin/competence/",
    ],
)
def test_admin_pages_render_for_the_platform_admin(client, seeded_demo, url):
    response = as_user(client, "admin").get(url, follow=True)
    assert response.status_code == 200


def test_a_role_granted_in_the_admin_goes_through_the_service(client, seeded_demo):
    person = UserFactory()
    response = as_user(client, "admin").post(
        "/admin/roleassignment/new/",
        {"user": person.pk, "role": Role.COORDINATOR, "academie": academie().pk},
    )
    assert response.status_code == 302
    assert RoleAssignment.objects.filter(user=person, role=Role.COORDINATOR).exists()
    assert person.groups.filter(name=ROLE_GROUP_NAMES[Role.COORDINATOR]).exists()


def test_a_wrong_scope_in_the_admin_is_refused(client, seeded_demo):
    person = UserFactory()
    response = as_user(client, "admin").post(
        "/admin/roleassignment/new/", {"user": person.pk, "role": Role.COORDINATOR}
    )
    assert response.status_code == 200
    assert "Le périmètre ne correspond pas à ce rôle." in response.content.decode()
    assert not RoleAssignment.objects.filter(user=person).exists()


def test_imports_are_listed_and_inspected_read_only(client, seeded_demo, sample_csv_path):
    with open(sample_csv_path, "rb") as handle:
        record = import_establishments(file=handle).record
    admin = as_user(client, "admin")
    assert admin.get(f"/admin/dataimport/inspect/{record.pk}/").status_code == 200
    assert admin.get(f"/admin/dataimport/edit/{record.pk}/").status_code in (302, 403)
    assert admin.get("/admin/dataimport/new/").status_code in (302, 403)


def test_a_trainer_cannot_manage_establishments_or_roles(client, seeded_demo):
    trainer = as_user(client, "formateur")
    assert trainer.get("/admin/").status_code == 200
    for url in ("/admin/establishment/", "/admin/roleassignment/new/", "/admin/users/"):
        response = trainer.get(url)
        assert response.status_code in (302, 403), url


def test_a_teacher_has_no_admin_access(client, seeded_demo):
    response = as_user(client, "enseignant").get("/admin/")
    assert response.status_code == 302
