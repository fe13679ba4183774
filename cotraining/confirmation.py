"""One way to confirm an action that cannot be undone (cancel, refuse, revoke).

The form that triggers it carries ``data-confirm`` (the question): with JavaScript,
``cms/static/js/confirm.js`` asks in a DSFR modal and adds ``confirm=1`` on "yes". Without
JavaScript the form arrives without that field, and the view answers with a confirmation page
that sends the same fields again with it. The server never acts on an unconfirmed POST, so a
stray click, a double submit or an old browser cannot cancel or revoke by accident.
"""

from django.shortcuts import render

CONFIRM_FIELD = "confirm"


def confirmation_page(request, *, question, confirm_label, back_url, details=(), keep=()):
    """The confirmation page to answer, or None when the POST is already confirmed.

    ``keep`` names the POST fields to send again with the confirmation (the CSRF token is
    rendered afresh); ``details`` are lines that say what exactly will happen.
    """
    if request.POST.get(CONFIRM_FIELD) == "1":
        return None
    fields = [(name, value) for name in keep for value in request.POST.getlist(name)]
    return render(
        request,
        "includes/confirm_page.html",
        {
            "question": question,
            "details": details,
            "confirm_label": confirm_label,
            "back_url": back_url,
            "fields": fields,
            "action": request.path,
            "confirm_field": CONFIRM_FIELD,
        },
    )
