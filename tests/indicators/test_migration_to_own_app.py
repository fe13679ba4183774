"""The indicators left badges for their own app (issue 14) in the migration state only: tested on a
database created before the move. Its rows, the content types of its models (and so the
permissions granted on them and the audit entries about them) are the same rows afterwards, and
the way back works.

django-test-migrations' `migrator` drops every table and migrates from nothing to the state
before the move; its finalizer migrates back to the latest state (post_migrate included). Like
every transactional test of this suite, this one runs with serialized rollback: the flush after
it does not re-run post_migrate (which would recreate the groups under new ids and break every
serialized-rollback test after it); the reference data is restored (`_database_as_found`).
"""

import json
from datetime import date, timedelta

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from wagtail.models import ModelLogEntry

from cotraining.models import User
from indicators.models import IndicatorApiToken, IndicatorSnapshot

BEFORE_THE_MOVE = ("badges", "0012_bulk_award_progress_and_email_claims")
GROUP = "Analystes des indicateurs"


def _empty_but_content_types():
    """An empty database but for the reference data's content types, at their ids: restoring
    the rest never creates one (a Wagtail page looks its own up as it is built) under an id that
    the restored rows would then collide with."""
    call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
    reference = json.loads(connection._test_serialized_contents)
    ContentType.objects.bulk_create(
        ContentType(pk=row["pk"], **row["fields"])
        for row in reference
        if row["model"] == "contenttypes.contenttype"
    )
    ContentType.objects.clear_cache()


@pytest.fixture
def _database_as_found(django_db_setup, django_db_blocker):
    """Serialized rollback, made safe whatever runs before or after this test.

    Before: the rollback restores the reference data into an empty database (a live-server
    test's flush leaves post_migrate's rows, under other ids). After: the flush that follows a
    serialized-rollback test leaves the database empty; the reference data is restored at once,
    so that any test after this one finds the database as a fresh test database (sequences
    included), and no content type stays cached with an id of the database the migrator built.
    """
    with django_db_blocker.unblock():
        if not hasattr(connection, "_test_serialized_contents"):
            # pytest-django serialises the test database only when a collected test is marked
            # serialized_rollback: this one asks through its fixture, so do it here, once.
            connection._test_serialized_contents = connection.creation.serialize_db_to_string()
        _empty_but_content_types()
    yield
    with django_db_blocker.unblock():
        _empty_but_content_types()
        connection.creation.deserialize_db_from_string(connection._test_serialized_contents)
        # The migrator recreated the tables: their sequences (PostgreSQL) start after the
        # restored ids again, as loaddata leaves them.
        models = apps.get_models(include_auto_created=True)
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(sql)
    ContentType.objects.clear_cache()


def latest():
    return MigrationLoader(connection).graph.leaf_nodes()


def seed_before_the_move(historical):
    """What a database had before the move, written with its own (historical) models; the
    content type and permission are those post_migrate had created under `badges`."""
    ContentType = historical.get_model("contenttypes", "ContentType")
    Permission = historical.get_model("auth", "Permission")
    snapshot_type = ContentType.objects.create(app_label="badges", model="indicatorsnapshot")
    token_type = ContentType.objects.create(app_label="badges", model="indicatorapitoken")
    permission = Permission.objects.create(
        content_type=snapshot_type,
        codename="view_indicatorsnapshot",
        name="Can view instantané d'indicateurs",
    )
    analyst = historical.get_model("cotraining", "User").objects.create(
        email="analyste@ac-poitiers.fr", password="!"
    )
    group = historical.get_model("auth", "Group").objects.create(name=GROUP)
    group.permissions.add(permission)
    analyst.groups.add(group)
    now = timezone.now()
    historical.get_model("badges", "IndicatorSnapshot").objects.create(
        key="a" * 64,
        request={"scope": {"everything": True}, "filters": {}},
        data={"secrecy": {"served": True}},
        period_start=date(2026, 9, 1),
        period_end=date(2026, 12, 1),
        computed_at=now,
        duration_ms=42,
        last_read_at=now,
    )
    token = historical.get_model("badges", "IndicatorApiToken").objects.create(
        user=analyst, name="Tableur de la DANE", prefix="ind_abcdefgh", key_hash="b" * 64
    )
    historical.get_model("wagtailcore", "ModelLogEntry").objects.create(
        content_type=token_type,
        object_id=str(token.pk),
        label="Tableur de la DANE",
        action="wagtail.create",
        timestamp=now - timedelta(days=1),
        user=analyst,
    )
    return {"snapshot_type": snapshot_type.pk, "token_type": token_type.pk, "user": analyst.pk}


def test_a_database_from_before_the_move_upgrades_and_downgrades(
    _database_as_found, migrator, django_db_serialized_rollback
):
    before = migrator.apply_initial_migration(BEFORE_THE_MOVE)
    assert ("badges", "indicatorsnapshot") in before.models
    assert ("indicators", "indicatorsnapshot") not in before.models
    ids = seed_before_the_move(before.apps)
    types = [ids["snapshot_type"], ids["token_type"]]

    migrator.apply_tested_migration(latest())
    ContentType.objects.clear_cache()

    # The rows, read by the models of the new app (same tables).
    snapshot = IndicatorSnapshot.objects.get()
    assert (snapshot.key, snapshot.duration_ms, snapshot.period_start) == (
        "a" * 64,
        42,
        date(2026, 9, 1),
    )
    token = IndicatorApiToken.objects.select_related("user").get()
    assert (token.name, token.user.email) == ("Tableur de la DANE", "analyste@ac-poitiers.fr")
    # The same content type rows, now under `indicators`; none left under `badges`.
    assert ContentType.objects.get_for_model(IndicatorSnapshot).pk == ids["snapshot_type"]
    assert ContentType.objects.get_for_model(IndicatorApiToken).pk == ids["token_type"]
    assert set(ContentType.objects.filter(pk__in=types).values_list("app_label", flat=True)) == {
        "indicators"
    }
    assert not ContentType.objects.filter(app_label="badges", model__startswith="indicator")
    # The group keeps its permission, now spelt with the new app label; its member has it.
    group = Group.objects.get(name=GROUP)
    assert list(group.permissions.values_list("content_type__app_label", "codename")) == [
        ("indicators", "view_indicatorsnapshot")
    ]
    assert User.objects.get(pk=ids["user"]).has_perm("indicators.view_indicatorsnapshot")
    # The audit entry about the token still points at it.
    entry = ModelLogEntry.objects.get(object_id=str(token.pk))
    assert entry.content_type.model_class() is IndicatorApiToken

    # And back: the state before the move, the same rows again under `badges`.
    back = migrator.apply_tested_migration(BEFORE_THE_MOVE)
    HistoricalContentType = back.apps.get_model("contenttypes", "ContentType")
    assert set(
        HistoricalContentType.objects.filter(pk__in=types).values_list("app_label", flat=True)
    ) == {"badges"}
    assert back.apps.get_model("badges", "IndicatorSnapshot").objects.get().key == "a" * 64
    assert back.apps.get_model("badges", "IndicatorApiToken").objects.get().pk == token.pk
    assert list(
        back.apps.get_model("auth", "Group")
        .objects.get(name=GROUP)
        .permissions.values_list("content_type__app_label", "codename")
    ) == [("badges", "view_indicatorsnapshot")]
