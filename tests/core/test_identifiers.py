import pytest

from shanlian.core.errors import ValidationFailed
from shanlian.core.identifiers import clean_credit_code, clean_phone, clean_resident_id
from tests.factories import make_credit_code


def test_resident_id_checksum_and_birth_place():
    assert clean_resident_id(" 440100195203150026 ") == "440100195203150026"
    for bad in ["440100195203150027", "44010019520315002", "440106195203150021", "abc"]:
        with pytest.raises(ValidationFailed) as exc:
            clean_resident_id(bad)
        assert exc.value.code == "invalid_resident_id"


def test_credit_code():
    code = make_credit_code()
    assert clean_credit_code(code.lower()) == code
    broken = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(ValidationFailed) as exc:
        clean_credit_code(broken)
    assert exc.value.code == "invalid_credit_code"


@pytest.mark.parametrize("raw,clean", [("139 1234 5678", "13912345678"), ("+86 13912345678", "13912345678"),
                                       ("020-83001234", "02083001234")])
def test_phone_valid(raw, clean):
    assert clean_phone(raw) == clean


@pytest.mark.parametrize("bad", ["12345", "1391234567", "+1 415 555 0100", "电话"])
def test_phone_invalid(bad):
    with pytest.raises(ValidationFailed) as exc:
        clean_phone(bad)
    assert exc.value.code == "invalid_phone"


def test_credit_code_embedded_organization_code_is_checked():
    from stdnum.cn import uscc

    code = make_credit_code()
    wrong_org_check = "1" if code[16] != "1" else "2"
    body = code[:16] + wrong_org_check
    forged = body + uscc.calc_check_digit(body + "0")  # passes GB 32100, fails GB 11714
    uscc.validate(forged)
    with pytest.raises(ValidationFailed):
        clean_credit_code(forged)
