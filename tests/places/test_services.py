import pytest

from shanlian.core.errors import Conflict, ValidationFailed
from shanlian.places.models import Division
from shanlian.places.selectors import division_ancestors
from shanlian.places.services import division_create, pinyin_initials


def test_tree_paths_and_ancestors(city):
    c = city.communities["盐运西"]
    assert [d.name for d in division_ancestors(c)] == ["广州市", "越秀区", "北京街道", "盐运西社区"]
    assert Division.objects.filter(path__startswith=city.districts["越秀"].path).count() == 1 + 2 + 3


@pytest.mark.parametrize(
    "name,level,code,parent_key,err",
    [
        ("海珠区", "district", "44010", "city", "invalid_division_code"),
        ("海珠区", "district", "440205", "city", "invalid_division_code"),
        ("越秀区", "district", "440104", "city", "duplicate_division_code"),
        ("某街道", "street", "440104009", "city", "invalid_parent"),
        ("深圳市", "city", "440300", "city", "invalid_parent"),
        ("", "district", "440199", "city", "name_required"),
    ],
)
def test_bad_divisions_refused(city, name, level, code, parent_key, err):
    parent = city.city if parent_key == "city" else None
    with pytest.raises((ValidationFailed, Conflict)) as exc:
        division_create(name=name, level=level, code=code, parent=parent)
    assert exc.value.code == err


def test_pinyin_initials():
    assert pinyin_initials("广州市慈善会") == "gzscsh"
    assert pinyin_initials("盐运西社区") == "yyxsq"
