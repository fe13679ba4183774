from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from .. import services
from ..forms import ProfileForm


@login_required
def profile(request):
    """The logged-in person edits their own record; nobody else's is reachable here."""
    user = request.user
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            services.update_profile(user=user, **form.cleaned_data)
            messages.success(request, _("Votre profil est enregistré."))
            return redirect("cotraining:profile")
    else:
        form = ProfileForm(
            initial={
                "first_name": user.first_name,
                "last_name": user.last_name,
                "degree": user.degree,
                "disciplines": list(user.disciplines.all()),
                "establishment": user.establishment,
            }
        )
    roles = user.role_assignments.select_related("academie", "departement", "establishment")
    return render(request, "cotraining/profile.html", {"form": form, "roles": roles})
