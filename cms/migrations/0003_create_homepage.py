from django.db import migrations


def create(apps, schema_editor):
    from cms.site_structure import ensure_site

    ensure_site(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0002_initial"),
        ("wagtailcore", "0001_initial"),
        ("dsfr", "0012_dsfrconfig_notice_description_and_more"),
    ]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
