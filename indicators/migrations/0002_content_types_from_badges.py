"""The content types of the indicator models follow them from `badges` to `indicators`.

The rows are renamed, not replaced: they keep their ids, so the permissions that point at them
(and the groups and people granted those), and the audit entries about snapshots and tokens,
still point at the right models. A fresh database has none yet (post_migrate creates them, under
`indicators`): nothing to do. Reversible: migrating back renames them to `badges` again.
"""

from django.db import IntegrityError, migrations, router, transaction

MODELS = ("indicatorsnapshot", "indicatorapitoken")


def _move(apps, schema_editor, *, source, target):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not router.allow_migrate_model(db, ContentType):
        return
    for content_type in ContentType.objects.using(db).filter(app_label=source, model__in=MODELS):
        content_type.app_label = target
        try:
            with transaction.atomic(using=db):
                content_type.save(using=db, update_fields=["app_label"])
        except IntegrityError:
            # One already exists under `target` (post_migrate ran between two partial migrates):
            # keep both, as Django's RenameContentType does; remove_stale_contenttypes lists the
            # old one and what still points at it.
            pass


def to_indicators(apps, schema_editor):
    _move(apps, schema_editor, source="badges", target="indicators")


def to_badges(apps, schema_editor):
    _move(apps, schema_editor, source="indicators", target="badges")


class Migration(migrations.Migration):
    dependencies = [
        ("indicators", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(to_indicators, to_badges)]
