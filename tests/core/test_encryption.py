"""ID numbers and bank accounts are encrypted at rest, found through a keyed blind index, and keys
rotate with a command (core/crypto.py, manage.py rotate_keys)."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import FieldError, ImproperlyConfigured, ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from applications.models import Application
from audit.models import AuditEvent
from audit.services import save_audited
from beneficiaries.models import Person
from core import crypto
from core.rows import insert_rows
from tests.factories import make_application

ID = "150121196001010014"
ACCOUNT = "6228480000000000018"


def raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


@pytest.fixture
def person(world):
    return Person.objects.create(
        id_number=ID, name="乌兰其其格", township=world.town_a1, bank_account_number=ACCOUNT
    )


def test_the_database_holds_ciphertext_and_the_model_the_number(person):
    stored = raw("beneficiaries_person", "id_number", person.pk)
    assert stored.startswith("e1:t1:") and ID not in stored
    account = raw("beneficiaries_person", "bank_account_number", person.pk)
    assert account.startswith("e1:t1:") and ACCOUNT not in account
    again = Person.objects.get(pk=person.pk)
    assert (again.id_number, again.bank_account_number) == (ID, ACCOUNT)
    assert again.masked_id_number == "1501**********0014"
    # the same number twice gives two different ciphertexts (a random nonce)
    other = crypto.keyring().encrypt(ID, b"beneficiaries.person.id_number")
    assert other != stored
    # the history table is encrypted too
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM beneficiaries_historicalperson")
        assert all(v.startswith("e1:") for (v,) in cursor.fetchall())


def test_lookups_go_through_the_blind_index_and_plain_equality_is_refused(person):
    assert Person.objects.with_id_number(ID).get() == person
    assert Person.objects.with_id_number("150121196001010022").first() is None
    assert person.id_index == crypto.keyring().blind(ID, b"beneficiaries.person.id_number")
    with pytest.raises(FieldError, match="encrypted"):
        Person.objects.filter(id_number=ID).exists()
    with pytest.raises(FieldError):
        Person.objects.filter(id_number__startswith="1501").exists()
    # "" (no account yet) is the one equality an encrypted column answers
    assert not Person.objects.filter(bank_account_number="").exists()


def test_the_index_keeps_the_number_unique_with_a_message_first(person, world):
    twin = Person(id_number=ID, name="甲", township=world.town_a1)
    with pytest.raises(ValidationError) as exc:
        twin.full_clean()
    assert exc.value.message_dict["id_number"] == ["该公民身份号码已登记，请在救助对象中查找此人。"]
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


def test_a_value_moved_to_another_column_or_tampered_does_not_open(person):
    stored = raw("beneficiaries_person", "id_number", person.pk)
    with pytest.raises(crypto.DecryptionError):
        crypto.keyring().decrypt(stored, b"beneficiaries.person.bank_account_number")
    tampered = stored[:-4] + ("AAAA" if not stored.endswith("AAAA") else "BBBB")
    with pytest.raises(crypto.DecryptionError):
        crypto.keyring().decrypt(tampered, b"beneficiaries.person.id_number")


def test_raw_inserts_seal_and_index_like_the_orm(world):
    insert_rows(
        Person,
        ["id_number", "name", "township_id", "hukou_local", "bank_account_number", "phone", "address",
         "hukou_place", "sex", "relationship", "bank_name", "bank_account_holder", "id_warning",
         "created_at", "updated_at"],
        [[ID, "甲", world.town_a1.pk, True, "", "", "", "", "", "", "", "", "", "2026-01-01T00:00Z",
          "2026-01-01T00:00Z"]],
    )  # fmt: skip
    person = Person.objects.with_id_number(ID).get()
    assert raw("beneficiaries_person", "id_number", person.pk).startswith("e1:")
    assert person.id_number == ID and person.bank_account_number == ""


def test_the_audit_trail_keeps_identifiers_masked(world):
    person = Person(id_number=ID, name="甲", township=world.town_a1, bank_account_number=ACCOUNT)
    created = save_audited(instance=person, actor=world.users["admin"])
    assert created.changes["id_number"] == [None, "1501**********0014"]
    assert created.changes["bank_account_number"] == [None, "6228 **** **** 0018"]
    assert "id_index" not in created.changes
    person.bank_account_number = "6228480000000099999"
    event = save_audited(instance=person, actor=world.users["admin"])
    assert event.changes["bank_account_number"] == ["6228 **** **** 0018", "6228 **** **** 9999"]
    # a change in the middle digits only is still recorded (compared in clear, stored masked)
    person.bank_account_number = "6228480000100099999"
    assert save_audited(instance=person, actor=world.users["admin"]) is not None
    rows = AuditEvent.objects.filter(target_id=str(person.pk)).values_list("changes", flat=True)
    assert all(ID not in str(c) and "62284800" not in str(c) for c in rows)


def test_sm4_keys_work_the_same(settings, person):
    """A deployment that requires 国密 configures an SM4-GCM key (16 bytes)."""
    sm4 = crypto.Key.generate("g1", "sm4gcm")
    settings.FIELD_ENCRYPTION_KEYS = [sm4, *settings.FIELD_ENCRYPTION_KEYS]
    crypto.reset()
    try:
        app = make_application(person, world_clerk(person))
        app.bank_account_number = ACCOUNT
        app.save()
        stored = raw("applications_application", "bank_account_number", app.pk)
        assert stored.startswith("e1:g1:")
        assert Application.objects.get(pk=app.pk).bank_account_number == ACCOUNT
        assert Person.objects.get(pk=person.pk).id_number == ID  # older key still opens
    finally:
        crypto.reset()


def world_clerk(person):
    from accounts.models import User

    return User.objects.get(username="t_clerk")


def test_rotation_reseals_every_value_under_the_new_key_and_reindexes(settings, person):
    app = make_application(person, world_clerk(person))
    app.bank_account_number = ACCOUNT
    app.save()
    old_index = person.id_index
    settings.FIELD_ENCRYPTION_KEYS = [crypto.Key.generate("k2"), *settings.FIELD_ENCRYPTION_KEYS]
    settings.BLIND_INDEX_KEY = "bmV3LWJsaW5kLWluZGV4LWtleS1mb3ItdGhlLXRlc3Q="
    crypto.reset()
    try:
        out = io.StringIO()
        call_command("rotate_keys", stdout=out)
        assert "beneficiaries.Person.id_number: 1" in out.getvalue()
        assert raw("beneficiaries_person", "id_number", person.pk).startswith("e1:k2:")
        assert raw("applications_application", "bank_account_number", app.pk).startswith("e1:k2:")
        moved = Person.objects.with_id_number(ID).get()
        assert moved.id_index != old_index
        # with the old key gone, everything still opens
        settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]
        crypto.reset()
        assert Person.objects.get(pk=person.pk).id_number == ID
        assert Application.objects.get(pk=app.pk).bank_account_number == ACCOUNT
        check = io.StringIO()
        call_command("rotate_keys", "--check", stdout=check)
        assert "全部使用当前密钥 k2" in check.getvalue()
    finally:
        crypto.reset()


def test_no_key_no_start(settings):
    settings.FIELD_ENCRYPTION_KEYS = []
    settings.BLIND_INDEX_KEY = ""
    settings.PORTAL_KEY_FILE = ""
    crypto.reset()
    try:
        with pytest.raises(ImproperlyConfigured, match="没有配置加密密钥"):
            crypto.keyring()
    finally:
        crypto.reset()


@pytest.mark.parametrize(
    "bad",
    ["k1:aes256gcm:c2hvcnQ=", "k1:des:" + "A" * 44, "k-1:aes256gcm:" + "A" * 43 + "=", "nocolons"],
)
def test_a_malformed_key_is_refused_at_start(bad):
    with pytest.raises(ImproperlyConfigured):
        crypto.Key.parse(bad)
