"""Inside Django (`processes.django_child`): the PIX import suite's people and one import, each
in a fresh process as the Celery job runs it. The application's code this suite needs is
imported here, and only here."""

import time

from allauth.account.models import EmailAddress
from django.core.files import File

from badges.models import PixImport
from badges.services.pix_import import run_import
from bench.harness.processes import memory_kib
from cotraining.models import Departement, Establishment, User
from cotraining.validators import uai_check_letter


def add_people(count, domain):
    """The people of the files, once, in bulk, and the user who imports them."""
    departement = Departement.objects.get(code="086")
    first7 = "0869999"
    school, _ = Establishment.objects.get_or_create(
        uai=first7 + uai_check_letter(first7),
        defaults={"name": "Lycée du banc", "departement": departement},
    )
    emails = [f"p{i}@{domain}" for i in range(count)]
    User.objects.bulk_create(
        [User(email=email, establishment=school) for email in emails],
        batch_size=5000,
        ignore_conflicts=True,
    )
    # An import matches only accounts whose address is verified, as a real holder's is.
    EmailAddress.objects.bulk_create(
        [
            EmailAddress(user_id=pk, email=email, verified=True, primary=True)
            for pk, email in User.objects.filter(email__endswith=f"@{domain}").values_list(
                "pk", "email"
            )
        ],
        batch_size=5000,
        ignore_conflicts=True,
    )
    User.objects.update_or_create(email=f"importer@{domain}", defaults={"is_superuser": True})


def import_file(path, domain):
    """One import of the file at `path` as the job runs it (validate every line, then write in
    one transaction); its outcome, time and this process's peak resident memory."""
    importer = User.objects.get(email=f"importer@{domain}")
    with open(path, "rb") as handle:
        pix_import = PixImport(filename=path, user=importer)
        pix_import.file.save("bench.csv", File(handle), save=False)
        pix_import.save()
    started = time.perf_counter()
    done = run_import(import_id=pix_import.pk)
    elapsed = time.perf_counter() - started
    return {
        "status": done.status,
        "lines": done.lines,
        "created": done.created,
        "unchanged": done.unchanged,
        "errors": done.error_count,
        "first_errors": done.errors[:3],
        "seconds": elapsed,
        "hwm_kib": memory_kib("self", "VmHWM"),
    }
