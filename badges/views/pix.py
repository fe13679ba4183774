"""PIX pages: the teacher's certifications, the académie's review list and its imports.

Every object is looked up in a permission queryset (badges.permissions) and 404s outside it.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET, require_POST

from cotraining.exceptions import ServiceError
from cotraining.spreadsheets import csv_writer

from .. import permissions
from ..constants import PixStatus
from ..filters import PixCertificationFilterSet
from ..forms import (
    JuryResultForm,
    PixCertificationForm,
    PixImportForm,
    PixRejectForm,
    StaffPixCertificationForm,
)
from ..models import PixCertification
from ..services import pix, pix_import

REVIEW_PER_PAGE = 50


def _mine(user):
    return PixCertification.objects.filter(user=user).select_related("pix_plus_edu")


@login_required
def my_certifications(request):
    certifications = list(_mine(request.user))
    current = next((c for c in certifications if c.is_current), None)
    return render(
        request,
        "badges/pix/my_certifications.html",
        {"certifications": certifications, "current": current},
    )


@login_required
def declare(request):
    if request.method == "POST":
        form = PixCertificationForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            try:
                pix.declare_certification(
                    user=request.user,
                    data=form.certification,
                    attestation=form.cleaned_data.get("attestation"),
                )
            except ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _("Certification enregistrée : l'académie la vérifiera."),
                )
                return redirect("badges:my_certifications")
    else:
        form = PixCertificationForm(user=request.user)
    return render(
        request,
        "badges/pix/declare.html",
        {"form": form},
        status=422 if form.is_bound else 200,
    )


@login_required
@require_POST
def delete(request, pk):
    certification = get_object_or_404(_mine(request.user), pk=pk)
    try:
        pix.delete_certification(certification=certification, by=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Certification supprimée."))
    return redirect("badges:my_certifications")


@login_required
def jury_result(request, pk):
    certification = get_object_or_404(_mine(request.user), pk=pk)
    form = JuryResultForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pix.update_jury_result(
                certification=certification,
                jury_level=form.cleaned_data["jury_level"],
                jury_on=form.cleaned_data["jury_on"],
                by=request.user,
            )
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Résultat du jury enregistré."))
            return redirect("badges:my_certifications")
    return render(
        request,
        "badges/pix/jury_result.html",
        {"form": form, "certification": certification},
        status=422 if form.is_bound else 200,
    )


@csp_override(settings.UPLOADED_FILES_CSP)
@login_required
@require_GET
def attestation(request, pk):
    """The private PDF: to its holder and to the staff who may read their results only."""
    certification = get_object_or_404(permissions.visible_certifications(request.user), pk=pk)
    if not certification.attestation:
        raise Http404
    response = FileResponse(
        certification.attestation.open("rb"),
        content_type="application/pdf",
        as_attachment=True,
        filename=f"attestation-pix-{certification.verification_code}.pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- Staff ----------------------------------------------------------------------------------


@login_required
def review(request):
    """Declarations of the territory, filtered by school and status; verify or reject in bulk.

    School heads read their school's results here; verifying is for the académie's staff.
    """
    if not permissions.can_read_pix_list(request.user):
        raise PermissionDenied
    visible = (
        permissions.visible_certifications(request.user)
        .exclude(user=request.user)
        .select_related("user__establishment", "pix_plus_edu", "reviewed_by")
    )
    can_review = permissions.can_review_pix(request.user)
    reject_form = PixRejectForm()
    if request.method == "POST":
        if not can_review:
            raise PermissionDenied
        rejecting = request.POST.get("action") == "reject"
        reject_form = PixRejectForm(request.POST if rejecting else None)
        if _review_action(request, reject_form):
            return redirect(request.get_full_path())
    # Each reader opens on what they came for: the staff on the declarations to check, a school
    # head (who only reads) on the school's verified results.
    default = {"status": PixStatus.DECLARED if can_review else PixStatus.VERIFIED}
    filterset = PixCertificationFilterSet(request.GET or default, queryset=visible, request=request)
    page = Paginator(filterset.qs, REVIEW_PER_PAGE).get_page(request.GET.get("page"))
    reviewable = set(
        permissions.reviewable_certifications(request.user)
        .filter(pk__in=[c.pk for c in page])
        .values_list("pk", flat=True)
    )
    return render(
        request,
        "badges/pix/review.html",
        {
            "filter": filterset,
            "page": page,
            "reviewable": reviewable,
            "can_review": can_review,
            "reject_form": reject_form,
            "query": _without_page(request.GET),
        },
    )


@login_required
def record(request):
    """Staff enter a certificate for a person of their territory (source "staff", verified)."""
    if not permissions.can_review_pix(request.user):
        raise PermissionDenied
    people = permissions.pix_people(request.user)
    form = StaffPixCertificationForm(
        request.POST or None, request.FILES or None, user=request.user, people=people
    )
    if request.method == "POST" and form.is_valid():
        try:
            pix.declare_certification(
                user=form.person,
                data=form.certification,
                attestation=form.cleaned_data.get("attestation"),
                by=request.user,
            )
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Certification de %(person)s enregistrée comme vérifiée.")
                % {"person": form.person},
            )
            return redirect(f"{reverse('badges:pix_review')}?status=verified")
    return render(
        request,
        "badges/pix/declare.html",
        {"form": form, "staff": True},
        status=422 if form.is_bound else 200,
    )


def _review_action(request, reject_form):
    """Verify (a row's own button, or the ticked rows) or reject the ticked rows with a reason.

    Returns whether something was done; otherwise the page says why and shows again.
    """
    one = request.POST.get("verify_one", "")
    ids = [one] if one else request.POST.getlist("ids")
    chosen = list(
        permissions.reviewable_certifications(request.user).filter(
            pk__in=[pk for pk in ids if pk.isdigit()]
        )
    )
    if not chosen:
        messages.error(request, _("Cochez au moins une certification de votre territoire."))
        return False
    if not one and request.POST.get("action") == "reject":
        if not reject_form.is_valid():
            messages.error(request, _("Indiquez le motif du refus."))
            return False
        count = pix.reject_certifications(
            certifications=chosen, reason=reject_form.cleaned_data["reason"], by=request.user
        )
        messages.success(
            request,
            ngettext(
                "%(count)s certification refusée.", "%(count)s certifications refusées.", count
            )
            % {"count": count},
        )
        return True
    count = pix.verify_certifications(certifications=chosen, by=request.user)
    messages.success(
        request,
        ngettext("%(count)s certification vérifiée.", "%(count)s certifications vérifiées.", count)
        % {"count": count},
    )
    return True


def _without_page(params):
    params = params.copy()
    params.pop("page", None)
    return params.urlencode()


def _imports(request):
    if not permissions.can_review_pix(request.user):
        raise PermissionDenied
    return permissions.visible_pix_imports(request.user)


@login_required
def import_results(request):
    recent = _imports(request)[:10]
    form = PixImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        done = pix_import.start_pix_import(file=upload, filename=upload.name, by=request.user)
        return redirect("badges:pix_import_detail", pk=done.pk)
    return render(
        request,
        "badges/pix/import.html",
        {
            "form": form,
            "recent": recent,
            "required": pix_import.IMPORT_REQUIRED_COLUMNS,
            "sync_max": pix_import.settings.PIX_IMPORT_SYNC_MAX_LINES,
        },
        status=422 if form.is_bound else 200,
    )


@login_required
def import_detail(request, pk):
    pix_import_ = get_object_or_404(_imports(request), pk=pk)
    return render(request, "badges/pix/import_detail.html", {"pix_import": pix_import_})


@login_required
@require_GET
def import_progress(request, pk):
    pix_import_ = get_object_or_404(_imports(request), pk=pk)
    return render(request, "badges/pix/import_progress.html", {"pix_import": pix_import_})


@login_required
@require_GET
def import_report(request, pk):
    """The errors of a refused import, one line each, to fix the file in a spreadsheet."""
    pix_import_ = get_object_or_404(_imports(request), pk=pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="rapport-import-{pix_import_.pk}.csv"'
    response.write("\ufeff")  # spreadsheets read the accents as UTF-8
    writer = csv_writer(response)
    writer.writerow([_("ligne"), _("erreur")])
    for line, message in pix_import_.errors:
        writer.writerow([line or "", message])
    if pix_import_.error_count > len(pix_import_.errors):
        writer.writerow(
            [
                "",
                _("… et %(count)s autres erreurs.")
                % {"count": pix_import_.error_count - len(pix_import_.errors)},
            ]
        )
    return response


@login_required
@require_GET
def import_sample(request):
    _imports(request)
    return FileResponse(
        pix_import.SAMPLE_FILE.open("rb"),
        as_attachment=True,
        filename="exemple-import-pix.csv",
        content_type="text/csv; charset=utf-8",
    )
