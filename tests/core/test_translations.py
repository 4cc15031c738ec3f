"""Chinese is the default language: every message in the code has a Chinese translation."""

from pathlib import Path

import shanlian

PO = Path(shanlian.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def entries(text: str):
    """(msgid, msgstr, flags) for each entry of a .po file, multi-line strings joined."""
    out, cur, key, flags = [], {}, None, ""
    for line in text.splitlines() + [""]:
        if not line.strip():
            if cur:
                out.append((cur.get("msgid", ""), cur.get("msgstr", cur.get("msgstr[0]", "")), flags))
            cur, key, flags = {}, None, ""
        elif line.startswith("#,"):
            flags += line
        elif line.startswith("#"):
            continue
        elif line.startswith('"') and key:
            cur[key] += line.strip()[1:-1]
        else:
            key, _, rest = line.partition(" ")
            cur[key] = rest.strip()[1:-1]
    return out


def test_every_message_has_a_chinese_translation():
    items = [e for e in entries(PO.read_text(encoding="utf-8")) if e[0]]
    assert len(items) > 100
    missing = [msgid for msgid, msgstr, _ in items if not msgstr]
    fuzzy = [msgid for msgid, _, flags in items if "fuzzy" in flags]
    assert not missing, f"untranslated: {missing[:10]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:10]}"
