"""Questions and answers between peers: ask, answer, comment, find an answer useful, accept
one (the asker or an animator), follow a question, close it; animators hide a post, members
report one. Every post is plain text, rendered escaped."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from cotraining.exceptions import ServiceError

from ..constants import AuditAction, PostKind, QuestionState
from ..models import Answer, Comment, PostReport, Question, QuestionFollow, UsefulVote
from ..permissions import (
    animated_communities,
    postable_communities,
    readable_answers,
    readable_comments,
    readable_questions,
)

TITLE_MAX = Question._meta.get_field("title").max_length
TEXT_MAX = Question._meta.get_field("text").max_length
TAGS_MAX = Question._meta.get_field("tags").max_length


def _clean_text(text, *, field=None, limit=TEXT_MAX):
    field = field or _("Texte")
    text = (text or "").strip()
    if not text:
        raise ServiceError("empty", _("« %(field)s » est à remplir.") % {"field": field})
    if len(text) > limit:
        raise ServiceError(
            "too_long",
            _("« %(field)s » tient en %(max)d caractères au plus.")
            % {"field": field, "max": limit},
        )
    return text


def _clean_tags(tags):
    words = [word.strip() for word in (tags or "").split(",")]
    unique = list(dict.fromkeys(word for word in words if word))
    value = ", ".join(unique)
    if len(value) > TAGS_MAX:
        raise ServiceError(
            "too_long", _("Les mots-clés tiennent en %(max)d caractères.") % {"max": TAGS_MAX}
        )
    return value


def _check_member(community, user):
    if not postable_communities(user).filter(pk=community.pk).exists():
        raise ServiceError(
            "not_member", _("Rejoignez la communauté pour y poser des questions et répondre.")
        )


def _readable_question(question, user, *, lock=False):
    queryset = readable_questions(user).select_related("community")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    found = queryset.filter(pk=question.pk).first()
    if found is None:
        raise ServiceError("question_not_found", _("Cette question n'existe pas ou plus."))
    return found


def ask(*, community, by, title, text, tags="", competences=()):
    """A member asks the community a question; they follow it from then on."""
    _check_member(community, by)
    title = _clean_text(title, field=_("Titre"), limit=TITLE_MAX)
    text = _clean_text(text)
    tags = _clean_tags(tags)
    with transaction.atomic():
        question = Question.objects.create(
            community=community, author=by, title=title, text=text, tags=tags
        )
        if competences:
            question.competences.set(competences)
        QuestionFollow.objects.create(question=question, user=by)
        log(question, AuditAction.ASK, user=by, data={"community": community.pk})
    return question


def answer(*, question, by, text):
    """A member answers an open question of their community."""
    question = _readable_question(question, by)
    _check_member(question.community, by)
    if question.state == QuestionState.CLOSED or question.is_hidden:
        raise ServiceError("question_closed", _("Cette question est close."))
    text = _clean_text(text)
    with transaction.atomic():
        reply = Answer.objects.create(question=question, author=by, text=text)
        log(reply, AuditAction.ANSWER, user=by, data={"question": question.pk})
    return reply


def comment(*, question, by, text, on_answer=None):
    """A member remarks on a question or on one of its answers."""
    question = _readable_question(question, by)
    _check_member(question.community, by)
    if question.state == QuestionState.CLOSED or question.is_hidden:
        raise ServiceError("question_closed", _("Cette question est close."))
    if on_answer is not None and on_answer.question_id != question.pk:
        raise ServiceError("answer_not_found", _("Cette réponse n'existe pas ou plus."))
    text = _clean_text(text, field=_("Commentaire"), limit=2000)
    with transaction.atomic():
        remark = Comment.objects.create(question=question, answer=on_answer, author=by, text=text)
        log(remark, AuditAction.COMMENT, user=by, data={"question": question.pk})
    return remark


def _readable_answer(reply, user):
    found = (
        readable_answers(user)
        .filter(pk=reply.pk, hidden_at__isnull=True)
        .select_related("question__community")
        .first()
    )
    if found is None:
        raise ServiceError("answer_not_found", _("Cette réponse n'existe pas ou plus."))
    return found


def mark_useful(*, answer, by):
    """A member finds an answer useful: one vote per person and answer, never their own.
    Idempotent: the same vote twice counts once. Returns (vote, created)."""
    reply = _readable_answer(answer, by)
    _check_member(reply.question.community, by)
    if reply.author_id == by.pk:
        raise ServiceError("own_answer", _("Vous ne pouvez pas voter pour votre propre réponse."))
    try:
        with transaction.atomic():
            return UsefulVote.objects.get_or_create(answer=reply, user=by)
    except IntegrityError:  # a concurrent click recorded it first
        return UsefulVote.objects.get(answer=reply, user=by), False


def unmark_useful(*, answer, by):
    return UsefulVote.objects.filter(answer=answer, user=by).delete()[0] > 0


def accept_answer(*, answer, by):
    """The asker, or an animator, marks the answer that solved the question. Another answer
    accepted later replaces it; the same one again is a no-op."""
    reply = _readable_answer(answer, by)
    with transaction.atomic():
        question = _readable_question(reply.question, by, lock=True)
        animates = animated_communities(by).filter(pk=question.community_id).exists()
        if question.author_id != by.pk and not animates:
            raise ServiceError(
                "not_asker",
                _(
                    "Seule la personne qui a posé la question, ou un animateur, accepte "
                    "une réponse."
                ),
            )
        if question.state == QuestionState.CLOSED:
            raise ServiceError("question_closed", _("Cette question est close."))
        if question.accepted_answer_id == reply.pk:
            return question
        question.accepted_answer = reply
        question.accepted_at = timezone.now()
        question.state = QuestionState.RESOLVED
        question.save(update_fields=["accepted_answer", "accepted_at", "state"])
        log(question, AuditAction.ACCEPT_ANSWER, user=by, data={"answer": reply.pk})
    return question


def follow_question(*, question, user, follow=True):
    """Follow a question (its new answers in one's notifications and digest), or stop."""
    question = _readable_question(question, user)
    if not follow:
        QuestionFollow.objects.filter(question=question, user=user).delete()
        return None
    try:
        with transaction.atomic():
            return QuestionFollow.objects.get_or_create(question=question, user=user)[0]
    except IntegrityError:
        return QuestionFollow.objects.get(question=question, user=user)


def close_question(*, question, by):
    """The asker or an animator closes a question: no more answers. Idempotent."""
    with transaction.atomic():
        question = _readable_question(question, by, lock=True)
        animates = animated_communities(by).filter(pk=question.community_id).exists()
        if question.author_id != by.pk and not animates:
            raise ServiceError(
                "not_asker",
                _("Seule la personne qui a posé la question, ou un animateur, la clôt."),
            )
        if question.state == QuestionState.CLOSED:
            return question
        question.state = QuestionState.CLOSED
        question.save(update_fields=["state"])
        log(question, AuditAction.CLOSE_QUESTION, user=by)
    return question


POST_QUERYSETS = {
    PostKind.QUESTION: readable_questions,
    PostKind.ANSWER: readable_answers,
    PostKind.COMMENT: readable_comments,
}


def _community_id(post):
    if isinstance(post, Question):
        return post.community_id
    return post.question.community_id


def find_post(*, kind, pk, user):
    """A question, answer or comment the person may read, or None."""
    try:
        kind = PostKind(kind)
    except ValueError:
        return None
    queryset = POST_QUERYSETS[kind](user)
    if kind != PostKind.QUESTION:
        queryset = queryset.select_related("question")
    return queryset.filter(pk=pk).first()


def hide_post(*, kind, pk, by, reason=""):
    """An animator hides a post (it stays for the animators and in the audit log); its open
    reports are handled. Hiding the accepted answer reopens the question. Idempotent."""
    post = find_post(kind=kind, pk=pk, user=by)
    if post is None:
        raise ServiceError("post_not_found", _("Ce message n'existe pas ou plus."))
    community_id = _community_id(post)
    if not animated_communities(by).filter(pk=community_id).exists():
        raise ServiceError(
            "not_animator", _("Seuls les animateurs de la communauté masquent un message.")
        )
    with transaction.atomic():
        model = type(post)
        locked = model.objects.select_for_update().get(pk=post.pk)
        if locked.is_hidden:
            return locked
        now = timezone.now()
        locked.hidden_at = now
        locked.hidden_by = by
        locked.save(update_fields=["hidden_at", "hidden_by"])
        if isinstance(locked, Answer):
            Question.objects.filter(pk=locked.question_id, accepted_answer=locked).update(
                accepted_answer=None, accepted_at=None, state=QuestionState.OPEN
            )
        PostReport.objects.filter(kind=kind, post_id=locked.pk, handled_at__isnull=True).update(
            handled_at=now
        )
        log(
            locked,
            AuditAction.HIDE_POST,
            user=by,
            data={"kind": str(kind), "reason": (reason or "")[:500]},
        )
    return locked


def report_post(*, kind, pk, by, message=""):
    """A reader flags a post to the community's animators (who hide it or not). The same
    person reporting it again while the report is open gets the open one back."""
    post = find_post(kind=kind, pk=pk, user=by)
    if post is None or post.is_hidden:
        raise ServiceError("post_not_found", _("Ce message n'existe pas ou plus."))
    message = (message or "").strip()[:2000]
    try:
        with transaction.atomic():
            report, created = PostReport.objects.get_or_create(
                kind=kind,
                post_id=post.pk,
                reporter=by,
                handled_at=None,
                defaults={"community_id": _community_id(post), "message": message},
            )
    except IntegrityError:
        report = PostReport.objects.get(
            kind=kind, post_id=post.pk, reporter=by, handled_at__isnull=True
        )
    return report
