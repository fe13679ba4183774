"""The territory the tests stand on: académies and départements come from the reference data
(loaded by migrations), establishments are made here."""

import factory

from cotraining.constants import Degree, EstablishmentType
from cotraining.models import Academie, Departement, Establishment
from cotraining.validators import uai_check_letter


def academie(code="13"):
    """An académie of the reference data: Poitiers ("13") unless told."""
    return Academie.objects.get(code=code)


def departement(code="086"):
    """A département of the reference data: the Vienne ("086", académie of Poitiers) unless told."""
    return Departement.objects.get(code=code)


def _uai(n):
    first7 = f"086{n:04d}"
    return first7 + uai_check_letter(first7)


class EstablishmentFactory(factory.django.DjangoModelFactory):
    """A collège of the Vienne with a valid UAI."""

    class Meta:
        model = Establishment
        django_get_or_create = ("uai",)

    uai = factory.Sequence(lambda n: _uai(n + 5000))
    name = factory.Sequence(lambda n: f"Collège numéro {n}")
    type = EstablishmentType.COLLEGE
    degree = Degree.SECOND
    commune = "Poitiers"
    departement = factory.LazyFunction(departement)
