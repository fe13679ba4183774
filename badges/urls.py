from django.urls import path, re_path

from . import views
from .views import pix

app_name = "badges"

# Either letter case: an upper-case UUID is the same UUID (the views lower it).
UUID = r"(?P<uuid>[0-9a-fA-F-]{36})"
JSON = r"(?P<suffix>\.json)?"

urlpatterns = [
    re_path(rf"^badges/emetteurs/{UUID}{JSON}$", views.issuer, name="issuer"),
    re_path(rf"^badges/emetteurs/{UUID}/image$", views.issuer_image, name="issuer_image"),
    re_path(rf"^badges/classes/{UUID}{JSON}$", views.badge_class, name="badge_class"),
    re_path(
        rf"^badges/classes/{UUID}/v(?P<number>[0-9]+){JSON}$",
        views.badge_class_version,
        name="badge_class_version",
    ),
    re_path(rf"^badges/classes/{UUID}/image$", views.badge_class_image, name="badge_class_image"),
    re_path(
        rf"^badges/classes/{UUID}/v(?P<number>[0-9]+)/image$",
        views.badge_class_version_image,
        name="badge_class_version_image",
    ),
    re_path(rf"^badges/assertions/{UUID}{JSON}$", views.assertion, name="assertion"),
    re_path(rf"^badges/assertions/{UUID}/image$", views.assertion_image, name="assertion_image"),
    path("mes-badges/", views.my_badges, name="my_badges"),
    path("mes-badges/export.json", views.export_badges, name="export_badges"),
    path("mes-badges/<uuid:uuid>/public/", views.toggle_public, name="toggle_public"),
    path("badges/decerner/", views.award, name="award"),
    path("badges/decerner/fichier/", views.bulk_award, name="bulk_award"),
    path("badges/decerner/fichier/<int:pk>/", views.bulk_award_detail, name="bulk_award_detail"),
    path(
        "badges/decerner/fichier/<int:pk>/progression/",
        views.bulk_award_progress,
        name="bulk_award_progress",
    ),
    path("badges/decernes/", views.awarded_list, name="awarded_list"),
    path("badges/decernes/revoquer/", views.revoke, name="revoke"),
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
