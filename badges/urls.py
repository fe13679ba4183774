from django.urls import path, re_path

from .views import awarding, backpack, hosted, pix, revocation

app_name = "badges"

# Either letter case: an upper-case UUID is the same UUID (the views lower it).
UUID = r"(?P<uuid>[0-9a-fA-F-]{36})"
JSON = r"(?P<suffix>\.json)?"

urlpatterns = [
    re_path(rf"^badges/emetteurs/{UUID}{JSON}$", hosted.issuer, name="issuer"),
    re_path(rf"^badges/emetteurs/{UUID}/image$", hosted.issuer_image, name="issuer_image"),
    re_path(rf"^badges/classes/{UUID}{JSON}$", hosted.badge_class, name="badge_class"),
    re_path(
        rf"^badges/classes/{UUID}/v(?P<number>[0-9]+){JSON}$",
        hosted.badge_class_version,
        name="badge_class_version",
    ),
    re_path(rf"^badges/classes/{UUID}/image$", hosted.badge_class_image, name="badge_class_image"),
    re_path(
        rf"^badges/classes/{UUID}/v(?P<number>[0-9]+)/image$",
        hosted.badge_class_version_image,
        name="badge_class_version_image",
    ),
    re_path(rf"^badges/assertions/{UUID}{JSON}$", hosted.assertion, name="assertion"),
    re_path(rf"^badges/assertions/{UUID}/image$", hosted.assertion_image, name="assertion_image"),
    path("mes-badges/", backpack.my_badges, name="my_badges"),
    path("mes-badges/export.json", backpack.export_badges, name="export_badges"),
    path("mes-badges/<uuid:uuid>/public/", backpack.toggle_public, name="toggle_public"),
    path("badges/decerner/", awarding.award, name="award"),
    path("badges/decerner/fichier/", awarding.bulk_award, name="bulk_award"),
    path("badges/decerner/fichier/<int:pk>/", awarding.bulk_award_detail, name="bulk_award_detail"),
    path(
        "badges/decerner/fichier/<int:pk>/progression/",
        awarding.bulk_award_progress,
        name="bulk_award_progress",
    ),
    path("badges/decernes/", revocation.awarded_list, name="awarded_list"),
    path("badges/decernes/revoquer/", revocation.revoke, name="revoke"),
    path("mes-certifications/", pix.my_certifications, name="my_certifications"),
    path("mes-certifications/declarer/", pix.declare, name="declare_certification"),
    path("mes-certifications/<int:pk>/supprimer/", pix.delete, name="delete_certification"),
    path("mes-certifications/<int:pk>/jury/", pix.jury_result, name="jury_result"),
    path("certifications-pix/", pix.review, name="pix_review"),
    path("certifications-pix/saisir/", pix.record, name="pix_record"),
    path("certifications-pix/<int:pk>/attestation.pdf", pix.attestation, name="pix_attestation"),
    path("certifications-pix/import/", pix.import_results, name="pix_import"),
    path("certifications-pix/import/exemple.csv", pix.import_sample, name="pix_import_sample"),
    path("certifications-pix/import/<int:pk>/", pix.import_detail, name="pix_import_detail"),
    path(
        "certifications-pix/import/<int:pk>/progression/",
        pix.import_progress,
        name="pix_import_progress",
    ),
    path(
        "certifications-pix/import/<int:pk>/rapport.csv",
        pix.import_report,
        name="pix_import_report",
    ),
]
