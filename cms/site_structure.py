"""The site's skeleton: the HomePage as root of the default Site and the DSFR site titles.

Run by a data migration and again by seed_demo (idempotent). `apps` is a migration's historical
registry or the live one.
"""

from django.apps import apps as live_apps

from cotraining.origin import public_host_and_port


def ensure_site(apps=live_apps):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    Site = apps.get_model("wagtailcore.Site")
    Locale = apps.get_model("wagtailcore.Locale")
    HomePage = apps.get_model("cms.HomePage")
    DsfrConfig = apps.get_model("dsfr.DsfrConfig")

    home = HomePage.objects.first()
    if home is None:
        # Wagtail's initial migration creates a "Welcome" page at depth 2: replace it.
        Page.objects.filter(
            depth=2, content_type__app_label="wagtailcore", content_type__model="page"
        ).delete()
        content_type, _ = ContentType.objects.get_or_create(app_label="cms", model="homepage")
        locale = Locale.objects.first() or Locale.objects.create(language_code="fr")
        root = Page.objects.filter(depth=1).first()
        if root is None:
            root = Page.objects.create(
                title="Root",
                draft_title="Root",
                slug="root",
                path="0001",
                depth=1,
                numchild=0,
                url_path="/",
                locale=locale,
                content_type=ContentType.objects.get_for_model(Page),
            )
        siblings = Page.objects.filter(depth=2).count()
        home = HomePage.objects.create(
            title="Se former entre pairs",
            draft_title="Se former entre pairs",
            slug="accueil",
            content_type=content_type,
            path=f"{root.path}{siblings + 1:04d}",
            depth=2,
            numchild=0,
            url_path="/accueil/",
            locale=locale,
            intro="<p>Ateliers de co-formation, reconnaissance des compétences et indicateurs "
            "de l'académie.</p>",
        )
        root.numchild = siblings + 1
        root.save(update_fields=["numchild"])
    # Pages' full URLs (Wagtail's moderation emails, content reports) use the Site: it follows
    # the public origin.
    hostname, port = public_host_and_port()
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={
            "hostname": hostname,
            "port": port,
            "root_page_id": home.pk,
            "site_name": "Entrepairs",
        },
    )
    for language, tagline in (("fr", "Co-formation entre pairs"), ("en", "Peer co-training")):
        DsfrConfig.objects.update_or_create(
            language=language,
            defaults={
                "site_title": "Entrepairs",
                "site_tagline": tagline,
                "footer_brand": "République française",
                "footer_brand_html": "République<br>française",
                "header_brand": "République française",
                "header_brand_html": "République<br>française",
            },
        )


def ensure_academie_sections(academie, *, by=None):
    """The site's catalogue and library, the académie's section in each, and its permissions.

    Returns (workshop_section, resource_section). Idempotent; used by seed_demo and by the
    `provision_academie` command when a new académie joins.
    """
    from cotraining.models import WorkshopIndexPage
    from cotraining.services import ensure_workshop_section, provision_academie

    from .models import HomePage, ResourceIndexPage

    ensure_site()
    home = HomePage.objects.get()
    catalogue = WorkshopIndexPage.objects.child_of(home).filter(academie__isnull=True).first()
    if catalogue is None:
        catalogue = home.add_child(
            instance=WorkshopIndexPage(
                title="Ateliers de co-formation",
                slug="ateliers",
                intro="Les ateliers entre pairs à venir : en présentiel, à distance ou hybrides.",
            )
        )
    library = ResourceIndexPage.objects.child_of(home).filter(academie__isnull=True).first()
    if library is None:
        library = home.add_child(
            instance=ResourceIndexPage(
                title="Ressources et retours d'expérience",
                slug="ressources",
                intro="Supports d'ateliers, outils et retours d'expérience partagés par les pairs.",
            )
        )
    workshop_section = ensure_workshop_section(academie=academie, catalogue=catalogue)
    resource_section = ResourceIndexPage.objects.child_of(library).filter(academie=academie).first()
    if resource_section is None:
        resource_section = library.add_child(
            instance=ResourceIndexPage(
                title=workshop_section.title, slug=workshop_section.slug, academie=academie
            )
        )
    provision_academie(academie=academie, sections=[workshop_section, resource_section], by=by)
    return workshop_section, resource_section
