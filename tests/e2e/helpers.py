"""What browser journeys share: log in, visit a page and check it, watch the
Content-Security-Policy, make a teacher who can log in (the fixtures are in conftest.py)."""

from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from playwright.sync_api import expect

from tests.factories import TeacherFactory

DEMO_DOMAIN = "demo.entrepairs.fr"
BLOCKING_IMPACTS = {"serious", "critical"}


def watch_csp(context, violations):
    """Collect the Content-Security-Policy violations Chromium reports on the console: a
    journey fails on any, so that a script, style or frame the policy blocks is noticed."""

    def on_console(message):
        if "Content Security Policy" in message.text:
            violations.append(f"{message.page.url if message.page else '?'}: {message.text}")

    context.on("console", on_console)


def assert_no_csp_violation(violations):
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


def make_teacher(local, first_name, last_name):
    """A teacher who can log in (verified address, the demo password)."""
    return TeacherFactory(
        email=f"{local}@example.fr",
        first_name=first_name,
        last_name=last_name,
        verified_email=True,
    )


def demo_email(local):
    return f"{local}@{DEMO_DOMAIN}"


def check_a11y(page):
    """Fail on any serious or critical axe-core violation of the current page."""
    violations = [
        v for v in Axe().run(page).response["violations"] if v["impact"] in BLOCKING_IMPACTS
    ]
    lines = [
        f"- {v['id']} ({v['impact']}): {v['help']} — "
        + ", ".join(str(node["target"]) for node in v["nodes"][:3])
        for v in violations
    ]
    assert not violations, f"Accessibility violations on {page.url}:\n" + "\n".join(lines)


def visit(page, live_server, path):
    """Open `path`, expect a 200 and an accessible page."""
    response = page.goto(live_server.url + path)
    assert response.status == 200, f"GET {path} answered {response.status}"
    check_a11y(page)


def logout_button(page):
    return page.locator("header").get_by_role("button", name="Se déconnecter")


def submit_login(page, live_server, email, password):
    """Fill and send the login form (header forms such as the language switch are left alone)."""
    visit(page, live_server, "/comptes/login/")
    form = page.locator("main form", has=page.locator("input[name=login]"))
    form.locator("input[name=login]").fill(email)
    form.locator("input[name=password]").fill(password)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def login(page, live_server, email):
    submit_login(page, live_server, email, settings.DEMO_PASSWORD)
    expect(logout_button(page)).to_be_visible()
