"""The demo shows the communities: the inspector's account, active communities with
questions, answers, an accepted one, escalations (one answered) and a request to decide."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from communities.constants import EscalationStatus, MembershipStatus
from communities.models import Community, Escalation, Membership, Question
from cotraining.constants import Role
from cotraining.models import RoleAssignment, User

pytestmark = pytest.mark.django_db

DEMO_DOMAIN = "demo.entrepairs.fr"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_demo_has_an_inspector_and_active_communities(client):
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    counts = (Community.objects.count(), Question.objects.count(), Escalation.objects.count())
    call_command("seed_demo", stdout=io.StringIO())  # idempotent
    assert (
        Community.objects.count(),
        Question.objects.count(),
        Escalation.objects.count(),
    ) == counts
    inspector = User.objects.get(email=f"inspecteur@{DEMO_DOMAIN}")
    assert f"inspecteur@{DEMO_DOMAIN}" in out.getvalue()
    role = RoleAssignment.objects.get(user=inspector, role=Role.INSPECTOR)
    assert (role.academie.code, role.discipline.code) == ("13", "mathematiques")
    maths = Community.objects.get(animators=inspector)
    assert maths.questions.filter(accepted_answer__isnull=False).exists()
    assert Escalation.objects.filter(community=maths, status=EscalationStatus.ANSWERED).exists()
    assert Escalation.objects.filter(community=maths, status=EscalationStatus.OPEN).exists()
    assert Membership.objects.filter(community=maths, status=MembershipStatus.REQUESTED).exists()

    client.force_login(inspector)
    assert client.get(reverse("communities:detail", args=[maths.pk])).status_code == 200
    assert "Livret scolaire" in client.get(reverse("communities:escalations")).content.decode()
    client.force_login(User.objects.get(email=f"enseignant@{DEMO_DOMAIN}"))
    page = client.get(reverse("communities:list")).content.decode()
    assert maths.name in page
