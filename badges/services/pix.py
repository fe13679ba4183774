"""PIX and Pix+ Édu use cases: declare, verify or reject, delete, import, and the badges they earn.

One set of rules checks a certification wherever it comes from (the teacher's form, staff, a Pix
Orga file): `check_certification` returns every problem of a line at once, in words a teacher
understands, so the form and the import report say the same thing.
"""

import re
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from cotraining.exceptions import ServiceError

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

PIX_PLUS_EDU_SOURCE = "pix-plus-edu:"  # + certification pk: one badge per certificate
_CODE = re.compile(PIX_CODE_REGEX)


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


def _code_owner_problem(code, user, exclude_pk=None):
    owner = (
        PixCertification.objects.filter(verification_code=code)
        .exclude(pk=exclude_pk)
        .values_list("user_id", flat=True)
        .first()
    )
    if owner is None:
        return None
    if owner != user.pk:
        return _("Ce code de vérification est déjà enregistré pour une autre personne.")
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
    source "staff". A code belongs to one person: another person's code is refused, and the same
    person declaring it twice is told so (no duplicate).
    """
    problems = check_certification(data)
    if problems:
        raise ServiceError("pix_invalid", " ".join(problems))
    staff = by is not None and by.pk != user.pk
    duplicate = _code_owner_problem(data.verification_code, user)
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
        raise ServiceError(
            "pix_code_taken", _("Ce code de vérification est déjà enregistré.")
        ) from exc
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
            from . import revoke_assertions

            revoke_assertions(
                assertions=list(
                    Assertion.objects.filter(
                        source__in=[f"{PIX_PLUS_EDU_SOURCE}{c.pk}" for c in locked],
                        revoked=False,
                    )
                ),
                reason=_("Certification Pix+ Édu refusée : %(reason)s") % {"reason": reason},
                by=by,
            )
    return len(locked)


def _tell_holder(certification):
    """The teacher who declared it hears of the review (imports and staff entries are not
    declarations: nobody waits for them)."""
    if certification.source != PixSource.SELF:
        return
    from ..tasks import notify_pix_review

    pk, status = certification.pk, certification.status
    transaction.on_commit(lambda: notify_pix_review.delay(pk, status), robust=True)


def queue_pix_plus_edu_badges(certification):
    """A verified Pix+ Édu level may earn a badge: awarded by a task after commit."""
    from ..tasks import award_pix_plus_edu_badges

    transaction.on_commit(lambda: award_pix_plus_edu_badges.delay(certification.pk), robust=True)


def award_pix_plus_edu_badges(*, certification_id):
    """Award the badge classes set to a verified Pix+ Édu scope and level (or a lower level).

    Idempotent: source "pix-plus-edu:<certification>" and the assertion's unique constraint.
    """
    from . import award_badge

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
    )
    evidence = [
        {
            "type": "Evidence",
            "name": _("Certification Pix+ Édu"),
            "narrative": _(
                "Pix+ Édu %(scope)s, niveau %(level)s, certification du %(date)s "
                "(code de vérification %(code)s), vérifiée par l'académie."
            )
            % {
                "scope": result.get_scope_display(),
                "level": result.get_level_display(),
                "date": f"{certification.taken_on:%d/%m/%Y}",
                "code": certification.verification_code,
            },
        }
    ]
    awarded = []
    for badge_class in badge_classes:
        assertion, _created = award_badge(
            badge_class=badge_class,
            email=certification.user.email,
            recipient=certification.user,
            source=f"{PIX_PLUS_EDU_SOURCE}{certification.pk}",
            evidence=evidence,
            awarded_by=certification.reviewed_by,
        )
        awarded.append(assertion)
    return awarded
