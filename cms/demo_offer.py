"""The demo's offer: published workshops with past, future, full and open sessions, resources
and RETEX, and a trainer's draft waiting for moderation."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from cms.demo_calendar import training_day
from cms.demo_content import COURSES, RESOURCES, RETEX, SESSION_PLANS, WORKSHOPS
from cms.demo_people import DEMO_DOMAIN, extra_teachers, uai
from cms.models import ResourcePage, RetexPage
from cotraining.constants import EnrollmentMode, EnrollmentStatus, Modality
from cotraining.models import (
    Competence,
    Departement,
    Discipline,
    Enrollment,
    Establishment,
    Session,
    User,
    WorkshopPage,
)


def seed_offer(academie, section, schools):
    """About twenty published workshops, with past, future, full and open sessions."""
    trainer = User.objects.get(email=f"formateur@{DEMO_DOMAIN}")
    coordinator = User.objects.get(email=f"coordination@{DEMO_DOMAIN}")  # publishes
    teachers = extra_teachers(schools)
    departements = {dep.code: dep for dep in Departement.objects.filter(academie=academie)}
    today = timezone.localdate()
    offer = {}
    for number, (row, plan) in enumerate(zip(WORKSHOPS, SESSION_PLANS, strict=True)):
        (
            slug,
            title,
            theme,
            degree,
            modality,
            disciplines,
            competences,
            hours,
            tp,
            ident,
            summary,
            tags,
        ) = row
        page = WorkshopPage.objects.child_of(section).filter(slug=slug).first()
        if page is None:
            page = WorkshopPage(
                title=title,
                slug=slug,
                summary=summary,
                theme=theme,
                degree=degree,
                modality=modality,
                duration_hours=hours,
                training_plan=tp,
                plan_identifier=ident,
                school_year="2026-2027" if tp else "",
                academie=academie,
                approval_required=tp == "paf" and number % 3 == 0,
                enrollment_mode=EnrollmentMode.COURSE
                if slug in COURSES
                else EnrollmentMode.PER_SESSION,
                completion_threshold=COURSES.get(slug, 100),
                owner=trainer,
                body=[
                    (
                        "objectives",
                        [
                            f"Découvrir : {title.lower()}",
                            "Concevoir une séance",
                            "Échanger entre pairs sur les pratiques",
                        ],
                    ),
                    (
                        "agenda",
                        [
                            {
                                "time": "14h00",
                                "title": "Tour de table et attentes",
                                "description": "",
                            },
                            {
                                "time": "14h30",
                                "title": "Démonstration et prise en main",
                                "description": "Par petits groupes, sur vos appareils.",
                            },
                            {
                                "time": "16h00",
                                "title": "Conception d'une séance",
                                "description": "Chacun repart avec une activité prête.",
                            },
                        ],
                    ),
                    ("prerequisites", "<p>Aucun prérequis technique.</p>"),
                ],
            )
            section.add_child(instance=page)
            page.disciplines.set(Discipline.objects.filter(code__in=disciplines))
            page.competences.set(Competence.objects.filter(code__in=competences))
            page.trainers.set([trainer])
            page.tags.set(tags)
            if number % 4 == 1:
                page.departements.set([departements["086"]])
            page.save_revision(user=trainer).publish(user=coordinator)
        if not page.sessions.exists():
            _sessions(page, plan, schools, teachers, today)
        offer[slug] = page
    return offer


def _sessions(page, plan, schools, teachers, today):
    paris = timezone.get_current_timezone()
    now = timezone.now()
    for days, hour, hours, capacity, venue, enrolled in plan:
        # Never on a weekend or a public holiday: moved away from today (stays past or future).
        day = training_day(today + timedelta(days=days), step=1 if days >= 0 else -1)
        start = datetime.combine(day, time(hour, 0), tzinfo=paris)
        remote = venue is None
        session = Session.objects.create(
            workshop=page,
            start=start,
            end=start + timedelta(hours=hours),
            modality=Modality.REMOTE if remote else page.modality,
            establishment=None if remote else schools[venue],
            room="" if remote else "Salle informatique",
            visio_url="https://visio.education.fr/meeting/demo-entrepairs"
            if remote or page.modality == Modality.HYBRID
            else "",
            capacity=capacity,
        )
        Enrollment.objects.bulk_create(
            Enrollment(
                session=session,
                user=user,
                status=EnrollmentStatus.CONFIRMED,
                confirmed_at=min(now, start) - timedelta(days=7),
            )
            for user in teachers[:enrolled]
        )


def seed_resources(academie, section, offer):
    trainer = User.objects.get(email=f"formateur@{DEMO_DOMAIN}")
    coordinator = User.objects.get(email=f"coordination@{DEMO_DOMAIN}")
    for slug, title, kind, url, licence, degree, competences, workshops, text in RESOURCES:
        if ResourcePage.objects.child_of(section).filter(slug=slug).exists():
            continue
        page = ResourcePage(
            title=title,
            slug=slug,
            kind=kind,
            link_url=url,
            licence=licence,
            degree=degree,
            description=text,
            academie=academie,
            owner=trainer,
        )
        section.add_child(instance=page)
        page.competences.set(Competence.objects.filter(code__in=competences))
        page.workshops.set([offer[w] for w in workshops])
        page.authors.set([trainer])
        page.save_revision(user=trainer).publish(user=coordinator)
    for slug, title, theme, workshop, context, strong, irritants, needs, axes, actions in RETEX:
        if RetexPage.objects.child_of(section).filter(slug=slug).exists():
            continue
        page = RetexPage(
            title=title,
            slug=slug,
            theme=theme,
            workshop=offer[workshop],
            academie=academie,
            context=context,
            strong_points=strong,
            irritants=irritants,
            needs=needs,
            improvement_axes=axes,
            owner=trainer,
            date=timezone.localdate() - timedelta(days=60),
            action_plan=[
                (
                    "action",
                    {
                        "what": what,
                        "how": how,
                        "who": who,
                        "when": when,
                        "indicators": indicators,
                    },
                )
                for what, how, who, when, indicators in actions
            ],
        )
        section.add_child(instance=page)
        page.authors.set([trainer])
        page.save_revision(user=trainer).publish(user=coordinator)


def seed_pending_submission(academie, section):
    """A trainer's draft waiting for the coordinator's approval, to show moderation."""
    slug = "escape-game-numerique"
    if WorkshopPage.objects.child_of(section).filter(slug=slug).exists():
        return
    trainer = User.objects.get(email=f"formateur@{DEMO_DOMAIN}")
    page = WorkshopPage(
        title="Concevoir un escape game pédagogique numérique",
        slug=slug,
        summary="Scénariser des énigmes numériques pour réviser autrement.",
        theme="enseigner",
        degree="2",
        modality=Modality.IN_PERSON,
        duration_hours=3,
        academie=academie,
        owner=trainer,
        live=False,
    )
    section.add_child(instance=page)
    page.trainers.set([trainer])
    page.save_revision(user=trainer)
    start = datetime.combine(
        training_day(timezone.localdate() + timedelta(days=40)),
        time(14),
        tzinfo=timezone.get_current_timezone(),
    )
    Session.objects.create(
        workshop=page,
        start=start,
        end=start + timedelta(hours=3),
        modality=Modality.IN_PERSON,
        establishment=Establishment.objects.get(uai=uai("0860034")),
        capacity=16,
    )
    page.get_workflow().start(page, trainer)
