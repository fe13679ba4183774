"""No page of the demo shows a raw value (issue 13, item 14): `None`, `False`, `True`, or an
internal key such as an award source, to any role."""

import re
from html.parser import HTMLParser

from django.urls import reverse

from cotraining.models import Session, User, WorkshopPage

RAW = re.compile(
    r"\b(None|False|True)\b|\b(completion|workshop|pix-plus-edu):\d+|\bbulk\b|\bmanual\b"
)


class VisibleText(HTMLParser):
    """The text a person reads: no scripts, styles or attribute values."""

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html):
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def _pages():
    workshop = WorkshopPage.objects.live().filter(sessions__isnull=False).first()
    session = Session.objects.filter(enrollments__isnull=False).order_by("start").first()
    return {
        "enseignant": [
            "/",
            workshop.url,
            reverse("cotraining:my_journey"),
            reverse("badges:my_badges"),
            reverse("badges:my_certifications"),
            reverse("cotraining:profile"),
        ],
        "formateur": [
            "/",
            reverse("cotraining:my_sessions"),
            reverse("cotraining:attendance_sheet", args=[session.pk]),
            reverse("badges:award"),
        ],
        "coordination": [
            "/",
            reverse("cotraining:my_sessions"),
            reverse("cotraining:approvals"),
            reverse("badges:awarded_list"),
            reverse("badges:pix_review"),
            "/admin/",
        ],
        "indicateurs": ["/", reverse("indicators:dashboard")],
        "direction": ["/", reverse("badges:pix_review"), reverse("cotraining:approvals")],
    }


def test_no_demo_page_shows_a_raw_value(client, seeded_demo):
    found = []
    for local, urls in _pages().items():
        client.force_login(User.objects.get(email=f"{local}@demo.entrepairs.fr"))
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (local, url, response.status_code)
            text = visible_text(response.content.decode())
            found += [(local, url, m.group(0)) for m in RAW.finditer(text)]
    assert found == []


def test_the_retex_action_plan_says_comment_not_commenter(client, seeded_demo):
    # Wagtail's French catalogue translates the bare word "Comment" as the verb "Commenter".
    from cms.models import RetexPage

    retex = RetexPage.objects.live().exclude(action_plan=[]).first()
    text = visible_text(client.get(retex.url).content.decode())
    assert "Comment" in text.split()
    assert "Commenter" not in text
