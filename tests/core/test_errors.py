from django.utils import translation

from shanlian.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


def test_statuses_and_codes():
    assert (ValidationFailed().status, PermissionDenied().status, NotFound().status, Conflict().status) == (400, 403, 404, 409)
    assert NotFound().code == "not_found"


def test_body_has_chinese_and_english():
    body = NotFound().as_dict()
    assert body["code"] == "not_found"
    assert body["message_en"] == "Not found, or not within your scope."
    assert body["message_zh"] != body["message_en"] and body["message_zh"]
    with translation.override("zh-hans"):
        assert NotFound().as_dict()["message"] == body["message_zh"]


def test_field_errors_are_listed():
    err = ValidationFailed("invalid_phone", "bad", fields={"phone": [("invalid_phone", "bad phone")]})
    assert err.as_dict()["fields"]["phone"][0]["code"] == "invalid_phone"
