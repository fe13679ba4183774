"""Demo data for the communities of practice (/communautes/, account « inspecteur »).

Called by seed_demo once the accounts and colleagues exist: the IA-IPR of mathematics of the
académie of Poitiers animates a closed mathematics group (a request waits for her), the trainer
an open group on generative AI and the team of the demo lycée; questions, answers (one accepted,
some found useful), comments and two escalations (one answered). Written through the services,
so the audit log and the rules are what the application would have produced. Idempotent:
communities are found by name, questions by title, escalations by title.
"""

from allauth.account.models import EmailAddress
from django.conf import settings
from django.utils import timezone

from communities import services
from communities.constants import Access, CommunityKind, MembershipStatus, TerritoryLevel
from communities.models import Community, Escalation, Membership, Question
from cotraining.constants import Degree, Role
from cotraining.models import Discipline, User
from cotraining.services import grant_role

INSPECTOR = ("inspecteur", "Hélène", "Garnier")
MATHS = "Mathématiques — académie de Poitiers"
AI = "Enseigner avec l'IA générative"
TEAM = "Équipe du lycée Camille Guérin"

# (community, asker, title, text, tags, [(author, answer, useful votes by)], accepted index)
QUESTIONS = [
    (
        MATHS,
        "enseignant",
        "Un outil pour les élèves dyslexiques en 4e ?",
        "Deux élèves de 4e peinent à lire les énoncés de problèmes. Quels outils utilisez-vous "
        "pour adapter vos supports sans tout refaire ?",
        "dyslexie, inclusion, énoncés",
        [
            (
                "collegue003",
                "La police OpenDyslexic et un interligne de 1,5 suffisent souvent ; "
                "l'extension « Cartable fantastique » pour Word aide beaucoup.",
                ["collegue004", "collegue005"],
            ),
            ("collegue004", "Je lis l'énoncé à voix haute et je donne un schéma.", []),
        ],
        0,
    ),
    (
        MATHS,
        "collegue002",
        "Que recouvre la compétence « Modéliser » au cycle 4 ?",
        "Pour l'évaluation par compétences : quelles tâches proposez-vous pour « Modéliser » ?",
        "cycle 4, évaluation, compétences",
        [
            (
                "formateur",
                "Une situation de la vie courante à traduire en équation ou en fonction, puis à "
                "critiquer : le modèle est-il pertinent ?",
                ["enseignant"],
            ),
        ],
        None,
    ),
    (
        MATHS,
        "collegue006",
        "Capytale ou Basthon pour Python en seconde ?",
        "Lequel choisir pour les séances d'algorithmique, sans installation ?",
        "python, algorithmique",
        [("enseignant", "Capytale, pour rendre et corriger les activités dans l'ENT.", [])],
        None,
    ),
    (
        AI,
        "collegue008",
        "Comment parler des IA génératives en conseil de classe ?",
        "Des devoirs maison sont visiblement générés : comment en parler sans accuser ?",
        "IA, évaluation",
        [],
        None,
    ),
]
# (author, category, title, text, answer of the inspector or "")
ESCALATIONS = [
    (
        "enseignant",
        "evaluation",
        "Livret scolaire : les compétences numériques du cycle 4",
        "Le livret ne permet pas de relier les compétences du CRCN évaluées en mathématiques : "
        "nous saisissons deux fois les mêmes observations.",
        "Merci : la remarque est transmise au groupe académique du livret scolaire ; une note "
        "sur la saisie unique suivra avant le prochain conseil de classe.",
    ),
    (
        "collegue002",
        "tool",
        "Les tablettes du collège ne lancent pas GeoGebra hors ligne",
        "Sans réseau dans deux salles, les élèves perdent la séance.",
        "",
    ),
]


def seed_community_demo(*, academie, domain):
    """Returns (email, role label) of the inspector account, for seed_demo's list."""
    maths = Discipline.objects.get(code="mathematiques")
    inspector = _inspector(academie, maths, domain)

    def person(local):
        return User.objects.get(email=f"{local}@{domain}")

    trainer, teacher = person("formateur"), person("enseignant")
    lycee = teacher.establishment  # the demo teacher's lycée (seed_demo's accounts)
    maths_group = _community(
        MATHS,
        kind=CommunityKind.DISCIPLINE,
        access=Access.CLOSED,
        discipline=maths,
        degree=Degree.SECOND,
        level=TerritoryLevel.ACADEMIE,
        academie=academie,
        description="Le groupe de travail des professeurs de mathématiques de l'académie, animé "
        "par l'IA-IPR : pratiques, évaluation, réformes, difficultés à faire remonter.",
        animators=[inspector],
    )
    ai_group = _community(
        AI,
        kind=CommunityKind.THEMATIC,
        access=Access.OPEN,
        level=TerritoryLevel.ACADEMIE,
        academie=academie,
        description="Usages, limites et éthique des IA génératives en classe.",
        animators=[trainer],
    )
    team = _community(
        TEAM,
        kind=CommunityKind.SCHOOL_TEAM,
        access=Access.CLOSED,
        level=TerritoryLevel.ESTABLISHMENT,
        academie=academie,
        establishment=lycee,
        description="L'équipe pédagogique du lycée : projets numériques et co-formation.",
        animators=[trainer],
    )
    colleagues = [f"collegue{n:03d}" for n in range(1, 13)]
    for local in ["enseignant", "formateur", *colleagues]:
        _member(maths_group, person(local))
    for local in ["enseignant", *colleagues[6:]]:
        _member(ai_group, person(local))
    _member(team, teacher)
    # A request that waits for the inspector (/communautes/demandes/).
    Membership.objects.get_or_create(
        community=maths_group,
        user=person("collegue013"),
        defaults={"status": MembershipStatus.REQUESTED},
    )
    by_name = {MATHS: maths_group, AI: ai_group}
    for name, asker, title, text, tags, answers, accepted in QUESTIONS:
        community = by_name[name]
        if Question.objects.filter(community=community, title=title).exists():
            continue
        question = services.ask(
            community=community, by=person(asker), title=title, text=text, tags=tags
        )
        replies = []
        for author, answer, voters in answers:
            reply = services.answer(question=question, by=person(author), text=answer)
            for voter in voters:
                services.mark_useful(answer=reply, by=person(voter))
            replies.append(reply)
        if accepted is not None:
            services.accept_answer(answer=replies[accepted], by=person(asker))
        if replies:
            services.comment(
                question=question,
                by=person(asker),
                text="Merci, je teste cette semaine.",
                on_answer=replies[0],
            )
    for author, category, title, text, response in ESCALATIONS:
        if Escalation.objects.filter(community=maths_group, title=title).exists():
            continue
        escalation = services.escalate(
            community=maths_group, by=person(author), category=category, title=title, text=text
        )
        if response:
            services.answer_escalation(escalation=escalation, by=inspector, response=response)
    return inspector.email, Role.INSPECTOR.label


def _inspector(academie, maths, domain):
    local, first, last = INSPECTOR
    email = f"{local}@{domain}"
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(
            email, password=settings.DEMO_PASSWORD, first_name=first, last_name=last
        )
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    grant_role(user=user, role=Role.INSPECTOR, academie=academie, discipline=maths)
    return user


def _community(name, *, animators, **fields):
    community = Community.objects.filter(name=name).first()
    if community is None:
        community = Community.objects.create(name=name, **fields)
    community.animators.add(*animators)
    return community


def _member(community, user):
    Membership.objects.get_or_create(
        community=community,
        user=user,
        defaults={"status": MembershipStatus.ACTIVE, "joined_at": timezone.now()},
    )
