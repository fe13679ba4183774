"""One way in, with the same rules everywhere (cms/auth.py, cms/urls.py, the settings).

Wagtail's admin and front-end logins and Django's admin login used to authenticate on their
own: an unverified account got in where verification is mandatory, and an account allauth had
locked after failed attempts still got in with the right password. Wagtail's admin also had a
second, unthrottled password reset. Rate limits keyed on the proxy's address, so behind the
reverse proxy one client locked everybody out.
"""

import os
import subprocess
import sys

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from wagtail.models import PageViewRestriction

from cms.models import ContentReport
from tests.factories import UserFactory, workshop_page

pytestmark = pytest.mark.django_db

PASSWORD = django_settings.DEMO_PASSWORD
OLD_LOGINS = ["/admin/login/", "/_util/login/", "/django-admin/login/"]
PROXY = "10.0.0.1"  # our reverse proxy, as the application server sees it


def admin_user(*, verified=True, **fields):
    user = UserFactory(is_staff=True, is_superuser=True, **fields)
    if verified:
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def signed_in(client):
    return "_auth_user_id" in client.session


def allauth_login(client, email, password, **headers):
    return client.post(reverse("account_login"), {"login": email, "password": password}, **headers)


def lock_out(email):
    """Five wrong passwords on allauth's form: allauth now refuses the address for a while."""
    attacker = Client(REMOTE_ADDR="192.0.2.66")
    for _ in range(5):
        allauth_login(attacker, email, "mauvais-mot-de-passe")


# --- The old login pages authenticate no one ------------------------------------------------


@pytest.mark.parametrize("url", OLD_LOGINS)
def test_an_unverified_account_does_not_get_in_where_verification_is_mandatory(
    client, settings, url
):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    user = admin_user(verified=False)
    response = client.post(url, {"username": user.email, "password": PASSWORD})
    assert not signed_in(client)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    # allauth's own form, where everybody logs in now, does not let them in either.
    allauth_login(client, user.email, PASSWORD)
    assert not signed_in(client)


@pytest.mark.parametrize("url", OLD_LOGINS)
def test_a_locked_out_account_does_not_get_in_with_the_right_password(client, url):
    user = admin_user()
    lock_out(user.email)
    client.post(url, {"username": user.email, "password": PASSWORD})
    assert not signed_in(client)
    response = allauth_login(client, user.email, PASSWORD)
    assert not signed_in(client)
    assert "trop de tentatives" in response.content.decode().lower()


@pytest.mark.parametrize(
    ("url", "next_url"),
    [
        ("/admin/login/?next=/admin/pages/", "/admin/pages/"),
        ("/admin/login/", "/admin/"),
        ("/django-admin/login/", "/django-admin/"),
        ("/_util/login/?next=/ateliers/", "/ateliers/"),
    ],
)
def test_the_old_login_pages_lead_to_allauth_keeping_next(client, url, next_url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={next_url.replace('/', '%2F')}"


def test_a_foreign_next_is_dropped(client):
    response = client.get("/admin/login/?next=https://evil.example/")
    assert response["Location"] == reverse("account_login")


def test_what_needs_a_login_sends_to_allauth(client):
    assert client.get("/admin/")["Location"] == f"{reverse('account_login')}?next=/admin/"
    followed = client.get("/django-admin/", follow=True)
    assert followed.redirect_chain[-1][0].startswith(reverse("account_login"))
    page = workshop_page(title="Atelier réservé")
    PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.LOGIN)
    assert client.get(page.url)["Location"].startswith(f"{reverse('account_login')}?next=")


def test_an_administrator_logs_in_through_allauth_and_reaches_both_admins(client):
    user = admin_user()
    response = client.post(
        f"{reverse('account_login')}?next=/admin/", {"login": user.email, "password": PASSWORD}
    )
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get("/django-admin/").status_code == 200


# --- One password reset, allauth's (throttled) ------------------------------------------------


def test_the_wagtail_admin_password_reset_sends_nothing_and_leads_to_allauth(client, mailoutbox):
    user = admin_user()
    response = client.post("/admin/password_reset/", {"email": user.email})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password")
    assert mailoutbox == []
    assert client.get("/admin/password_reset/done/")["Location"] == reverse(
        "account_reset_password"
    )


def test_the_password_reset_is_throttled(client, mailoutbox):
    user = admin_user()
    for _ in range(5):
        client.post(reverse("account_reset_password"), {"email": user.email})
    sent = len(mailoutbox)
    response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == 429
    assert len(mailoutbox) == sent


def test_the_admin_has_no_password_form_of_its_own(client):
    client.force_login(admin_user())
    html = client.get(reverse("wagtailadmin_account")).content.decode()
    assert 'name="password-old_password"' not in html


# --- Rate limits key on the real client's address --------------------------------------------


def behind_proxy(forwarded_for):
    """A client as the application server sees it behind one proxy that appends the address
    it received from to X-Forwarded-For (nginx's $proxy_add_x_forwarded_for)."""
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded_for)


def fail_logins(client, count=10):
    for n in range(count):
        allauth_login(client, f"inconnu{n}@ac-test.fr", "mauvais-mot-de-passe")


@pytest.fixture
def one_proxy(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1


def test_two_clients_behind_the_proxy_are_limited_separately(one_proxy):
    user = admin_user()
    noisy, other = behind_proxy("203.0.113.5"), behind_proxy("198.51.100.7")
    fail_logins(noisy)
    allauth_login(noisy, user.email, PASSWORD)
    assert not signed_in(noisy)  # ten failures a minute from one address: that one waits
    allauth_login(other, user.email, PASSWORD)
    assert signed_in(other)


def test_a_forged_forwarded_for_neither_escapes_the_limit_nor_locks_out_another(one_proxy):
    user = admin_user()
    for n in range(10):  # a new made-up address each time, then the proxy adds the real one
        attacker = behind_proxy(f"198.51.100.{n}, 203.0.113.5")
        allauth_login(attacker, f"inconnu{n}@ac-test.fr", "mauvais-mot-de-passe")
    allauth_login(behind_proxy("198.51.100.99, 203.0.113.5"), user.email, PASSWORD)
    victim = behind_proxy("198.51.100.3")  # an address the attacker pretended to be
    allauth_login(victim, user.email, PASSWORD)
    assert signed_in(victim)
    attacker = behind_proxy("198.51.100.77, 203.0.113.5")
    allauth_login(attacker, user.email, PASSWORD)
    assert not signed_in(attacker)


def test_without_trusted_proxies_forwarded_for_is_ignored():
    user = admin_user()
    for n in range(10):
        client = Client(REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
        allauth_login(client, f"inconnu{n}@ac-test.fr", "mauvais-mot-de-passe")
    client = Client(REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="198.51.100.200")
    allauth_login(client, user.email, PASSWORD)
    assert not signed_in(client)


def test_django_ratelimit_keys_on_the_same_client_address(one_proxy):
    """The report form's limit (5 an hour, django-ratelimit) reads the address as allauth does."""
    page = workshop_page(title="Tableur en classe")
    url = reverse("report_content", args=[page.pk])
    for n in range(5):
        behind_proxy(f"198.51.100.{n}, 203.0.113.5").post(url, {"reason": "spam"})
    assert behind_proxy("198.51.100.9, 203.0.113.5").post(url, {"reason": "spam"}).status_code == (
        429
    )
    assert behind_proxy("198.51.100.7").post(url, {"reason": "spam"}).status_code == 302
    assert ContentReport.objects.count() == 6


# --- Settings read from the environment --------------------------------------------------------


def settings_seen(module, **environ):
    """The settings a fresh process reads from `environ` (production's refuse to start bare)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SIGNUP_OPEN", "TRUSTED_PROXY_COUNT", "DATABASE_URL", "CELERY_BROKER_URL"}
    }
    env.update(DJANGO_SETTINGS_MODULE=module, **environ)
    code = (
        "from django.conf import settings as s;"
        "print(s.SIGNUP_OPEN, s.ALLAUTH_TRUSTED_PROXY_COUNT, s.RATELIMIT_IP_META_KEY)"
    )
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split()


PRODUCTION = {
    "DJANGO_SECRET_KEY": "x7Gq2mN9pL4vR8sT1wY6zA3bC5dE0fH2jK4lM6nP8qR0sT2uV4wX6yZ8aB0c",
    "DATABASE_URL": "postgres://entrepairs@127.0.0.1:5432/entrepairs",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "ALLOWED_HOSTS": "entrepairs.example",
    "SITE_URL": "https://entrepairs.example",
}


def test_production_closes_sign_up_unless_told_and_trusts_the_proxies_it_is_told():
    assert settings_seen("cms.settings.production", **PRODUCTION) == [
        "False",
        "0",
        "cms.auth.client_ip",
    ]
    opened = settings_seen(
        "cms.settings.production", SIGNUP_OPEN="true", TRUSTED_PROXY_COUNT="1", **PRODUCTION
    )
    assert opened[:2] == ["True", "1"]


def test_a_closed_sign_up_creates_no_account(client, settings):
    settings.SIGNUP_OPEN = False
    response = client.post(
        reverse("account_signup"),
        {
            "email": "nouveau@ac-test.fr",
            "password1": "Un-mot-de-passe-solide-42",
            "password2": "Un-mot-de-passe-solide-42",
            "first_name": "Nouveau",
            "last_name": "Venu",
        },
    )
    assert response.status_code == 200
    assert not EmailAddress.objects.filter(email="nouveau@ac-test.fr").exists()


def test_a_closed_sign_up_is_not_offered(client, settings):
    signup = reverse("account_signup")
    settings.SIGNUP_OPEN = True
    assert signup in client.get(reverse("account_login")).content.decode()
    settings.SIGNUP_OPEN = False
    for url in ("/", reverse("account_login")):
        assert signup not in client.get(url).content.decode()
