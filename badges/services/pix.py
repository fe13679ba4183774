"""PIX and Pix+ Édu use cases: declare, verify or reject, delete, import, and the badges they earn.

One set of rules checks a certification wherever it comes from (the teacher's form, staff, a Pix
Orga file): `check_certification` returns every problem of a line at once, in words a teacher
understands, so the form and the import report say the same thing.
"""

import logging
import re
from dataclasses import dataclass
from datetime import date

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from cotraining.exceptions import TRANSIENT_ERRORS, ServiceError
from cotraining.origin import public_url

from ..constants import (
    CRCN_CODES,
    PIX_CODE_REGEX,
    PIX_MAX_SCORE,
    PIX_TOP_LEVEL,
    AuditAction,
    PixSource,
    PixStatus,
    level_field,
)
from ..models import Assertion, BadgeClass, PixCertification, PixPlusEduResult
from .awards import award_badge
from .baking import store_baked_image
from .openbadges import drop_cached_assertion
from .revocation import revoke_assertions

PIX_PLUS_EDU_SOURCE = "pix-plus-edu:"  # + certification pk: one badge per certificate
_CODE = re.compile(PIX_CODE_REGEX)
# A verification code anywhere in a text: what must never reach a public badge.
CODE_IN_TEXT = PIX_CODE_REGEX.strip("^$")
logger = logging.getLogger(__name__)


def max_level_on(day):
    """The highest level a candidate could reach on that day (settings.PIX_MAX_LEVEL_STEPS)."""
    reachable = None
    for step in sorted(settings.PIX_MAX_LEVEL_STEPS):
        since, level = step.split(":")
        if date.fromisoformat(since) <= day:
            reachable = int(level)
    return reachable or 5


def normalize_code(value):
    """Codes are read from a paper or PDF certificate: tolerate case, spaces and a missing dash."""
    code = re.sub(r"[\s.]", "", value or "").upper()
    if code and not code.startswith("P-") and code.startswith("P") and len(code) == 9:
        code = f"P-{code[1:]}"
    return code


@dataclass
class PixPlusEdu:
    scope: str
    automated_level: int
    jury_level: int | None = None
    jury_on: date | None = None


@dataclass
class CertificationData:
    """A certification as typed or read, before it is written."""

    taken_on: date
    score: int
    max_level: int
    levels: dict  # {"1.1": 3, …}: all 16
    verification_code: str
    pix_plus_edu: PixPlusEdu | None = None

    def fields(self):
        values = {
            "taken_on": self.taken_on,
            "score": self.score,
            "max_level": self.max_level,
            "verification_code": self.verification_code,
        }
        values.update({level_field(code): self.levels[code] for code in CRCN_CODES})
        return values


def check_certification(data, *, today=None):
    """Every problem with a certification's values, as translated sentences (empty: valid)."""
    today = today or timezone.localdate()
    problems = []
    if data.taken_on > today:
        problems.append(_("La date de certification est dans le futur."))
    if not 0 <= data.score <= PIX_MAX_SCORE:
        problems.append(
            _("Le score doit être compris entre 0 et %(max)s pix (lu : %(value)s).")
            % {"max": PIX_MAX_SCORE, "value": data.score}
        )
    if not 1 <= data.max_level <= PIX_TOP_LEVEL:
        problems.append(
            _("Le niveau maximal atteignable est compris entre 1 et %(top)s (lu : %(value)s).")
            % {"top": PIX_TOP_LEVEL, "value": data.max_level}
        )
    for code in CRCN_CODES:
        level = data.levels.get(code)
        if level is None or level < 0:
            problems.append(_("Compétence %(code)s : niveau manquant.") % {"code": code})
        elif level > data.max_level:
            problems.append(
                _(
                    "Compétence %(code)s : le niveau %(level)s dépasse le niveau maximal "
                    "atteignable (%(max)s)."
                )
                % {"code": code, "level": level, "max": data.max_level}
            )
    # A competence at level n holds between 8n and 8n + 7 pix: levels and score must agree.
    if not problems:
        floor = 8 * sum(data.levels.values())
        ceiling = floor + 7 * sum(1 for level in data.levels.values() if level)
        if data.score < floor:
            problems.append(
                _(
                    "Le score (%(score)s pix) est trop bas pour les niveaux indiqués "
                    "(%(min)s au moins)."
                )
                % {"score": data.score, "min": floor}
            )
        elif data.score > ceiling:
            problems.append(
                _(
                    "Le score (%(score)s pix) est trop élevé pour les niveaux indiqués "
                    "(%(max)s au plus)."
                )
                % {"score": data.score, "max": ceiling}
            )
    if not _CODE.match(data.verification_code or ""):
        problems.append(
            _(
                "Le code de vérification « %(code)s » ne convient pas : P- suivi de 8 caractères "
                "parmi %(alphabet)s (ni 0, ni 1, ni voyelle)."
            )
            % {"code": data.verification_code, "alphabet": "2346789BCDFGHJKMPQRTVWXY"}
        )
    return problems + check_pix_plus_edu(data.pix_plus_edu, taken_on=data.taken_on, today=today)


def check_pix_plus_edu(edu, *, taken_on, today=None):
    if edu is None:
        return []
    today = today or timezone.localdate()
    problems = []
    if edu.jury_on and edu.jury_on > today:
        problems.append(_("Pix+ Édu : la date du jury est dans le futur."))
    if edu.jury_on and edu.jury_on < taken_on:
        problems.append(_("Pix+ Édu : le jury ne peut précéder la certification."))
    if edu.jury_level is None and edu.jury_on:
        problems.append(_("Pix+ Édu : indiquez le niveau décidé par le jury."))
    return problems


def code_refused_message(*, staff=False):
    """The refusal of a code held by someone else: it says nothing about them (not even that
    someone holds it); staff recording or importing for a person read the same for any code."""
    if staff:
        return _(
            "Ce code de vérification ne peut pas être enregistré pour cette personne : "
            "vérifiez-le sur le certificat."
        )
    return _(
        "Ce code de vérification ne peut pas être enregistré. Vérifiez-le sur votre certificat ; "
        "s'il est exact, l'académie a été prévenue et reviendra vers vous."
    )


def report_code_conflict(*, code, claimed_for, by, exclude_user=None):
    """Someone typed a code that another person's certification holds: a mistake, or a code
    read on someone else's certificate. The staff who review that certification see it in its
    history; the person who typed it is told nothing about the holder."""
    owners = PixCertification.objects.filter(verification_code=code)
    if exclude_user is not None:
        owners = owners.exclude(user=exclude_user)
    for certification in owners:
        log(
            certification,
            AuditAction.PIX_CODE_CONFLICT,
            user=by,
            data={"claimed_for": getattr(claimed_for, "pk", claimed_for)},
        )
        logger.warning(
            "PIX code of certification %s claimed for user %s (by user %s)",
            certification.pk,
            getattr(claimed_for, "pk", claimed_for),
            getattr(by, "pk", by),
        )


def _code_owner_problem(code, user, by):
    owner = (
        PixCertification.objects.filter(verification_code=code)
        .values_list("user_id", flat=True)
        .first()
    )
    if owner is None:
        return None
    if owner != user.pk:
        report_code_conflict(code=code, claimed_for=user, by=by or user)
        return code_refused_message(staff=by is not None and by.pk != user.pk)
    return _("Vous avez déjà enregistré cette certification.")


def save_pix_plus_edu(certification, edu):
    if edu is None:
        PixPlusEduResult.objects.filter(certification=certification).delete()
        return
    PixPlusEduResult.objects.update_or_create(
        certification=certification,
        defaults={
            "scope": edu.scope,
            "automated_level": edu.automated_level,
            "jury_level": edu.jury_level,
            "jury_on": edu.jury_on,
            "level": PixPlusEduResult.final_level(edu.automated_level, edu.jury_level),
        },
    )


def declare_certification(*, user, data, attestation=None, by=None):
    """Record a PIX certification; returns it.

    A teacher declares their own (status "declared", source "self") for staff to verify;
    authorised staff entering one for a person (`by` another user) record it as verified,
    source "staff". A code belongs to one person: another person's code is refused with words
    that reveal nothing of its holder (staff are alerted), and the same person declaring it twice
    is told so (no duplicate).
    """
    problems = check_certification(data)
    if problems:
        raise ServiceError("pix_invalid", " ".join(problems))
    staff = by is not None and by.pk != user.pk
    duplicate = _code_owner_problem(data.verification_code, user, by)
    if duplicate:
        raise ServiceError("pix_code_taken", duplicate)
    now = timezone.now()
    try:
        with transaction.atomic():
            certification = PixCertification(
                user=user,
                status=PixStatus.VERIFIED if staff else PixStatus.DECLARED,
                source=PixSource.STAFF if staff else PixSource.SELF,
                recorded_by=by or user,
                reviewed_by=by if staff else None,
                reviewed_at=now if staff else None,
                **data.fields(),
            )
            if attestation is not None:
                certification.attestation.save("attestation.pdf", attestation, save=False)
            certification.save()
            save_pix_plus_edu(certification, data.pix_plus_edu)
            log(
                certification,
                AuditAction.DECLARE_PIX,
                user=by or user,
                data={"code": data.verification_code, "score": data.score, "staff": staff},
            )
            if staff:
                queue_pix_plus_edu_badges(certification)
    except IntegrityError as exc:  # the same code declared concurrently
        raise ServiceError("pix_code_taken", code_refused_message(staff=staff)) from exc
    return certification


def update_jury_result(*, certification, jury_level, jury_on, by):
    """The jury part of Pix+ Édu arrives months later: the holder adds it to a declaration that
    staff have not verified yet (a verified one is corrected by staff, through an import)."""
    result = getattr(certification, "pix_plus_edu", None)
    if result is None:
        raise ServiceError("no_pix_plus_edu", _("Cette certification n'a pas de volet Pix+ Édu."))
    if certification.status != PixStatus.DECLARED:
        raise ServiceError(
            "pix_locked", _("Cette certification a été vérifiée : l'académie seule la modifie.")
        )
    edu = PixPlusEdu(result.scope, result.automated_level, jury_level, jury_on)
    problems = check_pix_plus_edu(edu, taken_on=certification.taken_on)
    if jury_level is None:
        problems.append(_("Pix+ Édu : indiquez le niveau décidé par le jury."))
    if problems:
        raise ServiceError("pix_invalid", " ".join(problems))
    with transaction.atomic():
        save_pix_plus_edu(certification, edu)
        log(certification, AuditAction.DECLARE_PIX, user=by, data={"jury_level": jury_level})
    certification.refresh_from_db()
    return certification


def delete_certification(*, certification, by):
    """The holder deletes a certification they declared themselves and that was not verified;
    verified ones stay (the académie counts them), with their audit trail."""
    with transaction.atomic():
        # Re-read under a lock: staff may have verified it since the page was shown.
        certification = PixCertification.objects.select_for_update().get(pk=certification.pk)
        if certification.user_id != by.pk:
            raise ServiceError("not_yours", _("Vous ne pouvez supprimer que vos certifications."))
        if certification.source != PixSource.SELF or certification.status == PixStatus.VERIFIED:
            raise ServiceError(
                "pix_kept",
                _(
                    "Une certification vérifiée ou enregistrée par l'académie ne peut être "
                    "supprimée."
                ),
            )
        log(
            certification,
            AuditAction.DELETE_PIX,
            user=by,
            data={"code": certification.verification_code},
        )
        if certification.attestation:
            name = certification.attestation.name
            storage = certification.attestation.storage
            transaction.on_commit(lambda: storage.delete(name))
        certification.delete()


def _review(certifications, *, status, reason, by):
    """Lock the certifications not yet in `status`, set it with the reviewer; returns them."""
    now = timezone.now()
    locked = list(
        PixCertification.objects.select_for_update()
        .filter(pk__in=[c.pk for c in certifications])
        .exclude(status=status)
        .order_by("pk")
    )
    for certification in locked:
        certification.status = status
        certification.rejection_reason = reason
        certification.reviewed_by = by
        certification.reviewed_at = now
        certification.save(
            update_fields=["status", "rejection_reason", "reviewed_by", "reviewed_at", "updated_at"]
        )
    return locked


def verify_certifications(*, certifications, by):
    """Mark declarations verified (one or many); returns how many changed. Idempotent.

    Permission (territory) is checked by the caller against `reviewable_certifications`.
    """
    with transaction.atomic():
        locked = _review(certifications, status=PixStatus.VERIFIED, reason="", by=by)
        for certification in locked:
            log(certification, AuditAction.VERIFY_PIX, user=by)
            queue_pix_plus_edu_badges(certification)
            _tell_holder(certification)
    return len(locked)


def reject_certifications(*, certifications, reason, by):
    """Refuse declarations with a reason the holder reads; badges they earned are revoked."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("reason_required", _("Indiquez le motif du refus."))
    with transaction.atomic():
        locked = _review(certifications, status=PixStatus.REJECTED, reason=reason[:255], by=by)
        for certification in locked:
            log(certification, AuditAction.REJECT_PIX, user=by, data={"reason": reason})
            _tell_holder(certification)
        if locked:
            # The revocation reason is public (the hosted assertion answers 410 with it): the
            # reason written for the teacher, which may quote their certificate, stays private.
            revoke_assertions(
                assertions=list(
                    Assertion.objects.filter(
                        source__in=[f"{PIX_PLUS_EDU_SOURCE}{c.pk}" for c in locked],
                        revoked=False,
                    )
                ),
                reason=_("Certification Pix+ Édu refusée par l'académie."),
                by=by,
            )
    return len(locked)


def _tell_holder(certification):
    """The teacher who declared it hears of the review (imports and staff entries are not
    declarations: nobody waits for them)."""
    if certification.source != PixSource.SELF:
        return
    notify_pix_review_task.enqueue_on_commit(certification.pk, certification.status)


def send_review_email(*, certification_id, status):
    """Tell the holder that staff verified or refused their declaration (with the reason);
    returns whether an email left.

    `status` is the review being told: a certification reviewed again since is not told twice.
    """
    certification = (
        PixCertification.objects.select_related("user")
        .filter(pk=certification_id, status=status)
        .first()
    )
    if certification is None:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        context = {"certification": certification, "site_url": public_url()}
        subject = " ".join(
            render_to_string("badges/email/pix_reviewed_subject.txt", context).split()
        )
        body = render_to_string("badges/email/pix_reviewed.txt", context)
    EmailMessage(
        subject=f"[Entrepairs] {subject}",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[certification.user.email],
    ).send()
    return True


@shared_task(
    name="badges.tasks.notify_pix_review",
    autoretry_for=TRANSIENT_ERRORS,
    time_limit=60,
    soft_time_limit=50,
)
def notify_pix_review_task(certification_id, status):
    """Tell the holder of a declaration how staff reviewed it (send_review_email)."""
    return send_review_email(certification_id=certification_id, status=status)


def queue_pix_plus_edu_badges(certification):
    """A verified Pix+ Édu level may earn a badge: awarded by a task after commit."""
    award_pix_plus_edu_badges_task.enqueue_on_commit(certification.pk)


def pix_plus_edu_evidence(*, certification, issuer):
    """The public evidence of a Pix+ Édu badge: scope, level, who verified it and when.

    Never the verification code: anyone holding it reads the whole certificate (name, scores)
    on pix.fr, and the assertion is public even when its holder keeps their name private.
    """
    result = getattr(certification, "pix_plus_edu", None)
    verified_on = timezone.localtime(certification.reviewed_at or timezone.now())
    if result is None or result.level is None:
        narrative = _("Certification Pix+ Édu vérifiée par %(issuer)s le %(date)s.") % {
            "issuer": issuer.name,
            "date": f"{verified_on:%d/%m/%Y}",
        }
    else:
        narrative = _(
            "Pix+ Édu %(scope)s, niveau %(level)s : certification vérifiée par %(issuer)s "
            "le %(date)s."
        ) % {
            "scope": result.get_scope_display(),
            "level": result.get_level_display(),
            "issuer": issuer.name,
            "date": f"{verified_on:%d/%m/%Y}",
        }
    return [{"type": "Evidence", "name": _("Certification Pix+ Édu"), "narrative": narrative}]


def award_pix_plus_edu_badges(*, certification_id):
    """Award the badge classes set to a verified Pix+ Édu scope and level (or a lower level).

    Idempotent: source "pix-plus-edu:<certification>" and the assertion's unique constraint.
    """
    certification = (
        PixCertification.objects.select_related("user", "pix_plus_edu")
        .filter(pk=certification_id, status=PixStatus.VERIFIED)
        .first()
    )
    result = getattr(certification, "pix_plus_edu", None) if certification else None
    if result is None or result.level is None:
        return []
    badge_classes = BadgeClass.objects.filter(
        pix_plus_edu_scope=result.scope, pix_plus_edu_level__lte=result.level
    ).select_related("issuer")
    awarded = []
    for badge_class in badge_classes:
        assertion, _created = award_badge(
            badge_class=badge_class,
            email=certification.user.email,
            recipient=certification.user,
            source=f"{PIX_PLUS_EDU_SOURCE}{certification.pk}",
            evidence=pix_plus_edu_evidence(certification=certification, issuer=badge_class.issuer),
            awarded_by=certification.reviewed_by,
        )
        awarded.append(assertion)
    return awarded


@shared_task(
    name="badges.tasks.award_pix_plus_edu_badges",
    autoretry_for=TRANSIENT_ERRORS,
    time_limit=120,
    soft_time_limit=100,
)
def award_pix_plus_edu_badges_task(certification_id):
    """Award the badges of a verified Pix+ Édu level. Safe to run twice (idempotent awards)."""
    return [a.pk for a in award_pix_plus_edu_badges(certification_id=certification_id)]


def _without_codes(text):
    """A text with every verification code taken out (and the words that announced it)."""
    text = re.sub(rf"\s*\(\s*code de vérification\s+{CODE_IN_TEXT}\s*\)", "", text)
    return re.sub(CODE_IN_TEXT, "[…]", text)


def leaking_pix_plus_edu_assertions():
    """Pix+ Édu assertions whose public parts (evidence, narrative, revocation reason) still
    hold a verification code: those awarded before codes were kept out of them."""
    return (
        Assertion.objects.filter(source__startswith=PIX_PLUS_EDU_SOURCE)
        .annotate(evidence_text=Cast("evidence", TextField()))
        .filter(
            Q(evidence_text__regex=CODE_IN_TEXT)
            | Q(narrative__regex=CODE_IN_TEXT)
            | Q(revocation_reason__regex=CODE_IN_TEXT)
        )
    )


def redact_pix_plus_edu_assertions():
    """Rewrite the evidence of Pix+ Édu assertions that still show a verification code, and
    bake their images again; returns how many were fixed. Idempotent (run by `migrate`, and by
    the `redact_pix_codes` command).

    The old image file is deleted before the new one is stored under the same name: media files
    are served publicly, and a copy left behind would still carry the code.
    """
    fixed = 0
    for pk in leaking_pix_plus_edu_assertions().values_list("pk", flat=True).order_by("pk"):
        with transaction.atomic():
            assertion = (
                Assertion.objects.select_for_update(of=("self",))
                .select_related("badge_class__issuer", "version")
                .get(pk=pk)
            )
            certification = (
                PixCertification.objects.select_related("pix_plus_edu")
                .filter(pk=_certification_id(assertion.source))
                .first()
            )
            if certification is not None:
                assertion.evidence = pix_plus_edu_evidence(
                    certification=certification, issuer=assertion.badge_class.issuer
                )
            else:  # the certification is gone: keep what was said, without the code
                assertion.evidence = [
                    {
                        key: _without_codes(value) if isinstance(value, str) else value
                        for key, value in item.items()
                    }
                    for item in assertion.evidence
                ]
            assertion.narrative = _without_codes(assertion.narrative)
            assertion.revocation_reason = _without_codes(assertion.revocation_reason)
            if assertion.image:
                assertion.image.delete(save=False)
            store_baked_image(assertion)
            assertion.save(update_fields=["evidence", "narrative", "revocation_reason", "image"])
            uuid = assertion.uuid
            transaction.on_commit(lambda uuid=uuid: drop_cached_assertion(uuid))
        fixed += 1
    if fixed:
        logger.info("Verification codes taken out of %s Pix+ Édu assertions", fixed)
    return fixed


def _certification_id(source):
    value = source.removeprefix(PIX_PLUS_EDU_SOURCE)
    return int(value) if value.isdigit() else None
