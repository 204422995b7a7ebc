"""The registry: people, households, hardship identities, and the imports that keep them current."""

from .imports import (
    IMPORT_MOVES,
    IMPORT_STATES,
    DepartmentToken,
    IdentityImport,
    ImportRow,
    StagedRow,
)
from .people import (
    CERTIFIERS,
    Category,
    Department,
    HardshipIdentity,
    Household,
    IdentitySource,
    Person,
    PersonQuerySet,
    Relationship,
    Sex,
    mask_account,
)
from .referrals import Referral, hospital_name_key
from .requests import (
    CHANGE_STATES,
    CLAIM_STATES,
    IdentityClaim,
    PersonChange,
)

__all__ = [
    "CERTIFIERS",
    "CHANGE_STATES",
    "CLAIM_STATES",
    "IMPORT_MOVES",
    "IMPORT_STATES",
    "Category",
    "Department",
    "DepartmentToken",
    "HardshipIdentity",
    "Household",
    "IdentityClaim",
    "IdentityImport",
    "IdentitySource",
    "ImportRow",
    "Person",
    "PersonChange",
    "PersonQuerySet",
    "Referral",
    "Relationship",
    "Sex",
    "StagedRow",
    "hospital_name_key",
    "mask_account",
]
