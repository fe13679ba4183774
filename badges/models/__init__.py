"""The badges app's models, one module per sub-domain: Open Badges (`openbadges`), bulk awards
(`bulk`), PIX and Pix+ Édu (`pix`)."""

from .bulk import BulkAward, BulkAwardChunk, BulkAwardQuerySet
from .openbadges import (
    Assertion,
    BadgeClass,
    BadgeClassVersion,
    BadgeImageField,
    Issuer,
    SanitizedImageFieldFile,
    hash_identity,
    new_salt,
    site_url,
)
from .pix import (
    PixCertification,
    PixCertificationQuerySet,
    PixImport,
    PixPlusEduResult,
    attestation_path,
    private_storage,
)

__all__ = [
    "Assertion",
    "BadgeClass",
    "BadgeClassVersion",
    "BadgeImageField",
    "BulkAward",
    "BulkAwardChunk",
    "BulkAwardQuerySet",
    "Issuer",
    "PixCertification",
    "PixCertificationQuerySet",
    "PixImport",
    "PixPlusEduResult",
    "SanitizedImageFieldFile",
    "attestation_path",
    "hash_identity",
    "new_salt",
    "private_storage",
    "site_url",
]
