import pytest
from django.db import IntegrityError

from cotraining.constants import Framework
from cotraining.models import Academie, Competence, Departement, Discipline
from cotraining.reference import load_competences, load_reference_data

pytestmark = pytest.mark.django_db


def test_every_departement_belongs_to_one_of_the_30_academies():
    assert Academie.objects.count() == 30
    assert Departement.objects.count() == 101
    assert Departement.objects.get(code="086").academie.name == "Poitiers"
    assert Departement.objects.get(code="02A").academie.name == "Corse"
    assert not Academie.objects.filter(departements__isnull=True).exists()
    assert Discipline.objects.filter(code="polyvalent").exists()


def test_the_crcn_has_16_competences_in_5_domains_and_pix_plus_edu_3_scopes():
    crcn = Competence.objects.filter(framework=Framework.CRCN)
    assert crcn.count() == 16
    assert crcn.values("domain").distinct().count() == 5
    assert str(crcn.get(code="4.2")) == "4.2 Protéger les données personnelles et la vie privée"
    scopes = Competence.objects.filter(framework=Framework.PIX_PLUS_EDU)
    assert sorted(scopes.values_list("code", flat=True)) == ["1d", "2d", "cpe"]


def test_reloading_reference_data_changes_nothing():
    before = (Academie.objects.count(), Departement.objects.count(), Competence.objects.count())
    load_reference_data()
    load_competences()
    after = (Academie.objects.count(), Departement.objects.count(), Competence.objects.count())
    assert before == after


def test_a_competence_code_is_unique_within_its_framework():
    with pytest.raises(IntegrityError):
        Competence.objects.create(framework=Framework.CRCN, code="1.1", domain="x", name="y")
