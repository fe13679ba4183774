"""Replace Wagtail's placeholder page with our HomePage and give the DSFR its site title."""

from django.db import migrations


def create_homepage(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    Site = apps.get_model("wagtailcore.Site")
    Locale = apps.get_model("wagtailcore.Locale")
    HomePage = apps.get_model("cms.HomePage")
    DsfrConfig = apps.get_model("dsfr.DsfrConfig")

    # Wagtail's initial migration creates a "Welcome" page at depth 2: remove it.
    Page.objects.filter(depth=2, content_type__model="page", content_type__app_label="wagtailcore").delete()
    if not HomePage.objects.exists():
        content_type, _ = ContentType.objects.get_or_create(model="homepage", app_label="cms")
        locale = Locale.objects.first() or Locale.objects.create(language_code="fr")
        root = Page.objects.get(depth=1)
        home = HomePage.objects.create(
            title="Se former entre pairs",
            draft_title="Se former entre pairs",
            slug="accueil",
            content_type=content_type,
            path=f"{root.path}0001",
            depth=2,
            numchild=0,
            url_path="/accueil/",
            locale=locale,
            intro="<p>Ateliers de co-formation, reconnaissance des compétences et indicateurs de l'académie.</p>",
        )
        root.numchild = 1
        root.save(update_fields=["numchild"])
        Site.objects.update_or_create(
            is_default_site=True,
            defaults={"hostname": "localhost", "port": 80, "root_page_id": home.id,
                      "site_name": "Entrepairs"},
        )
    for language, tagline in (("fr", "Co-formation entre pairs"), ("en", "Peer co-training")):
        DsfrConfig.objects.update_or_create(
            language=language,
            defaults={"site_title": "Entrepairs", "site_tagline": tagline,
                      "footer_brand": "République française",
                      "footer_brand_html": "République<br>française",
                      "header_brand": "République française",
                      "header_brand_html": "République<br>française"},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0002_initial"),
        ("wagtailcore", "0001_initial"),
        ("dsfr", "0012_dsfrconfig_notice_description_and_more"),
    ]
    operations = [migrations.RunPython(create_homepage, migrations.RunPython.noop)]
