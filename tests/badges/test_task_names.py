"""Tasks live beside their services; `badges.tasks` keeps every one under the name it is
registered with (beat, the queue routes and messages already queued use those names)."""

from django.conf import settings

from badges import tasks
from cms.celery import Task, app

NAMES = [
    "award_bulk_chunk",
    "award_completion_badges",
    "award_missing_completion_badges",
    "award_pix_plus_edu_badges",
    "delete_orphan_assertion_images",
    "email_unsent_awards",
    "notify_pix_review",
    "resume_stalled_bulk_awards",
    "resume_stalled_pix_imports",
    "revoke_withdrawn_completion_badges",
    "run_bulk_award",
    "run_pix_import",
    "send_badge_email",
    "send_badge_emails",
]


def test_every_task_keeps_its_attribute_and_its_registered_name():
    assert sorted(tasks.__all__) == NAMES
    for name in NAMES:
        task = getattr(tasks, name)
        assert task.name == f"badges.tasks.{name}"
        assert isinstance(app.tasks[task.name], Task)  # enqueue / enqueue_on_commit


def test_routes_and_beat_name_registered_tasks():
    routed = [name for name in settings.CELERY_TASK_ROUTES if name.startswith("badges.tasks.")]
    scheduled = [
        entry["task"]
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"].startswith("badges.tasks.")
    ]
    assert routed and scheduled
    for name in routed + scheduled:
        assert name in app.tasks, name
    queues = {name: settings.CELERY_TASK_ROUTES[f"badges.tasks.{name}"]["queue"] for name in NAMES}
    assert queues == {
        "award_bulk_chunk": "awards",
        "award_completion_badges": "awards",
        "award_missing_completion_badges": "awards",
        "award_pix_plus_edu_badges": "awards",
        "delete_orphan_assertion_images": "awards",
        "email_unsent_awards": "mail",
        "notify_pix_review": "mail",
        "resume_stalled_bulk_awards": "awards",
        "resume_stalled_pix_imports": "imports",
        "revoke_withdrawn_completion_badges": "awards",
        "run_bulk_award": "awards",
        "run_pix_import": "imports",
        "send_badge_email": "mail",
        "send_badge_emails": "mail",
    }
