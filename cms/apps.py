from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Site")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        neutralise_wagtail_csv_exports()


def neutralise_wagtail_csv_exports():
    """Wagtail's listing exports (Reports → Site history, locked pages, …) keep formulas out of
    their XLSX but not their CSV: a user named `=HYPERLINK(...)` would be a live formula in the
    site history's CSV. Their cells go through the same helper as every export of ours."""
    from wagtail.admin.views.mixins import SpreadsheetExportMixin

    from cotraining.spreadsheets import csv_cell

    if getattr(SpreadsheetExportMixin.write_csv_row, "neutralises_formulas", False):
        return

    def write_csv_row(view, writer, row_dict):
        return writer.writerow(
            {
                field: csv_cell(view.preprocess_field_value(field, value, view.FORMAT_CSV))
                for field, value in row_dict.items()
            }
        )

    write_csv_row.neutralises_formulas = True
    SpreadsheetExportMixin.write_csv_row = write_csv_row
