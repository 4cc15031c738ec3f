import pytest
from cryptography.fernet import Fernet
from django.test import override_settings

from shanlian.core import crypto


def test_encrypt_round_trip_and_nondeterministic():
    a, b = crypto.encrypt("440100195203150026"), crypto.encrypt("440100195203150026")
    assert a != b and "440100195203150026" not in a
    assert crypto.decrypt(a) == "440100195203150026"


def test_key_rotation_reads_old_values():
    old = crypto.encrypt("13912345678")
    new_key = Fernet.generate_key().decode()
    from django.conf import settings

    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key, *settings.FIELD_ENCRYPTION_KEYS]):
        assert crypto.decrypt(old) == "13912345678"
        fresh = crypto.encrypt("13912345678")
    with pytest.raises(RuntimeError):
        crypto.decrypt(fresh)  # the old key alone cannot read what the new key wrote


def test_blind_index_is_keyed_and_purpose_bound():
    a = crypto.blind_index("13912345678", purpose="phone")
    assert a == crypto.blind_index("13912345678", purpose="phone")
    assert a != crypto.blind_index("13912345678", purpose="resident_id")
    with override_settings(FIELD_HASH_KEY="other"):
        assert a != crypto.blind_index("13912345678", purpose="phone")


def test_masks_follow_settings():
    assert crypto.mask_resident_id("440100195203150026") == "440100********0026"
    assert crypto.mask_phone("13912345678") == "139****5678"
    assert crypto.mask_name("张三丰") == "张**" and crypto.mask_name("李") == "李*"
    with override_settings(SHANLIAN={"MASK_RESIDENT_ID": (3, 2), "MASK_PHONE": (0, 4)}):
        assert crypto.mask_resident_id("440100195203150026") == "440*************26"
        assert crypto.mask_phone("13912345678") == "*******5678"
