"""English through Django i18n: the language switch works, and the English catalog is complete and compiled.

The catalog checks read locale/en/LC_MESSAGES/django.po with a tiny parser (no gettext tools needed), compare
it with the compiled django.mo, and extract the marked strings from the sources the way makemessages does, so a
new `_("…")` or `{% translate "…" %}` without an English msgstr fails here instead of showing Chinese.
Refresh the catalog as the README's "Languages" section says.
"""
import ast
import gettext
import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.translation.template import templatize

LOCALE_DIR = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"
PO_FILE, MO_FILE = LOCALE_DIR / "django.po", LOCALE_DIR / "django.mo"
# The same directories makemessages is told to skip (README, "Languages").
IGNORED_DIRS = {".venv", "bench", "tests", "staticfiles", "media", "locale", "node_modules", "tmp"}
GETTEXT_CALLS = {
    "_": 0, "gettext": 0, "gettext_lazy": 0, "gettext_noop": 0, "ngettext": 0, "ngettext_lazy": 0,
    "pgettext": 1, "pgettext_lazy": 1, "npgettext": 1, "npgettext_lazy": 1,
}  # function name → index of the msgid argument
_LITERAL = r"""u?(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
TEMPLATE_CALL = re.compile(rf"\b(n?p?gettext|_)\(\s*((?:{_LITERAL}\s*,\s*)*{_LITERAL})")  # templatize()'s output
PLACEHOLDER = re.compile(r"%(?:\([A-Za-z_]\w*\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]")


# --- The switch -----------------------------------------------------------------------------------------


def test_default_language_is_chinese(client, county):
    client.force_login(county.users.county_staff)
    listing = client.get(reverse("households:list")).content.decode()
    assert '<html lang="zh-hans">' in listing
    assert "<th>户编号</th>" in listing and "Household number" not in listing


def test_county_staff_switching_to_english_sees_english_pages(client, county):
    client.force_login(county.users.county_staff)
    list_url = reverse("households:list")
    switched = client.post(reverse("set_language"), {"language": "en", "next": list_url})
    assert switched.status_code == 302 and switched.url == list_url

    listing = client.get(list_url).content.decode()
    assert '<html lang="en">' in listing
    for label in ("<th>Household number</th>", "<th>Head of household</th>", "<th>Township</th>",
                  "<th>Poverty status</th>", ">Search</button>", "Log out", "Registered poor households"):
        assert label in listing, label
    assert "户编号" not in listing and "脱贫状态" not in listing
    assert county.home.number in listing  # data stays as entered

    detail = client.get(reverse("households:detail", args=[county.home.pk])).content.decode()
    for label in ("Poor household", "Household members", "Relation to head", "Income ledger", "Pairing cadre",
                  "Not yet out of poverty", "Illness"):  # headings, column labels, and code-list labels
        assert label in detail, label
    assert "家庭成员" not in detail and "收入一本账" not in detail

    client.post(reverse("set_language"), {"language": "zh-hans", "next": list_url})
    assert "<th>户编号</th>" in client.get(list_url).content.decode()


# --- The catalog ----------------------------------------------------------------------------------------


def _unquote(line: str) -> str:
    return ast.literal_eval(line.strip())  # a PO string is a C string literal; these use only \" \\ \n \t


def parse_po(path: Path) -> list[dict]:
    """The entries of a .po file: msgid, msgid_plural, msgstr (list: one per plural form), flags, obsolete."""
    entries, entry, field = [], None, None
    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if entry and "msgid" in entry:
                entries.append(entry)
            entry, field = None, None
            continue
        entry = entry if entry is not None else {"flags": set(), "obsolete": False, "msgstr": {}}
        if line.startswith("#~"):
            entry["obsolete"] = True
            line = line[2:].strip()
            if not line or line.startswith("|"):  # "#~|": the previous msgid of an obsolete entry
                continue
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            if isinstance(field, tuple):
                entry["msgstr"][field[1]] += _unquote(line)
            else:
                entry[field] += _unquote(line)
        else:
            keyword, _, rest = line.partition(" ")
            match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            if match or keyword == "msgstr":
                field = ("msgstr", int(match.group(1)) if match else 0)
                entry["msgstr"][field[1]] = _unquote(rest)
            else:
                field = keyword
                entry[field] = _unquote(rest)
    return [
        {**entry, "msgstr": [entry["msgstr"][index] for index in sorted(entry["msgstr"])]}
        for entry in entries
    ]


@pytest.fixture(scope="module")
def catalog():
    entries = parse_po(PO_FILE)
    header = next(entry for entry in entries if entry["msgid"] == "")
    messages = [entry for entry in entries if entry["msgid"] and not entry["obsolete"]]
    assert len(messages) > 500  # the parser read the real catalog, not an empty shell
    return header, messages


def test_every_message_is_translated_and_none_is_fuzzy(catalog):
    header, messages = catalog
    assert "Language: en" in header["msgstr"][0] and "fuzzy" not in header["flags"]
    assert "nplurals=2; plural=(n != 1);" in header["msgstr"][0]
    fuzzy = [entry["msgid"] for entry in messages if "fuzzy" in entry["flags"]]
    untranslated = [entry["msgid"] for entry in messages if not all(s.strip() for s in entry["msgstr"])]
    assert not fuzzy, f"fuzzy entries in {PO_FILE}: {fuzzy}"
    assert not untranslated, f"untranslated entries in {PO_FILE}: {untranslated}"
    still_chinese = [
        entry["msgstr"] for entry in messages
        if re.search(r"[\u4e00-\u9fff]", entry["msgstr"][0]) and not re.search(r"[A-Za-z]", entry["msgstr"][0])
    ]
    assert not still_chinese, f"msgstr copied from the Chinese msgid: {still_chinese}"


def test_placeholders_are_kept(catalog):
    _header, messages = catalog
    wrong = []
    for entry in messages:
        for msgstr in entry["msgstr"]:
            if sorted(PLACEHOLDER.findall(entry["msgid"])) != sorted(PLACEHOLDER.findall(msgstr)):
                wrong.append((entry["msgid"], msgstr))
        if entry.get("msgid_plural") is not None and len(entry["msgstr"]) != 2:
            wrong.append((entry["msgid"], entry["msgstr"]))
    assert not wrong, wrong


def test_compiled_catalog_matches_the_po_file(catalog):
    """The tracked django.mo is what `compilemessages` makes of the tracked django.po (so no gettext tools at run time)."""
    _header, messages = catalog
    with MO_FILE.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in messages:
        if entry.get("msgid_plural") is not None:
            got = [compiled.ngettext(entry["msgid"], entry["msgid_plural"], n) for n in (1, 2)]
        else:
            got = [compiled.gettext(entry["msgid"])]
        if got != entry["msgstr"]:
            stale.append(entry["msgid"])
    assert not stale, f"{MO_FILE} is out of date for {stale}: run compilemessages"


def _python_msgids(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        index = GETTEXT_CALLS.get(name)
        if index is not None and len(node.args) > index:
            argument = node.args[index]
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                yield argument.value


def _template_msgids(path: Path):
    text = templatize(path.read_text(encoding="utf-8"), str(path))
    for call in TEMPLATE_CALL.finditer(text):
        strings = ast.literal_eval(f"({call.group(2)},)")
        yield strings[1] if call.group(1).startswith(("pgettext", "npgettext")) else strings[0]


def marked_strings() -> dict[str, Path]:
    """Every msgid marked for translation in the project's .py, .html and .txt files, as makemessages sees them."""
    found = {}
    for directory, subdirectories, files in os.walk(settings.BASE_DIR):
        subdirectories[:] = [d for d in subdirectories if d not in IGNORED_DIRS and not d.startswith(".")]
        for name in files:
            path = Path(directory) / name
            if name.endswith(".py"):
                msgids = _python_msgids(path)
            elif name.endswith((".html", ".txt")):
                msgids = _template_msgids(path)
            else:
                continue
            for msgid in msgids:
                found.setdefault(msgid, path)
    return found


def test_every_marked_string_is_in_the_catalog(catalog):
    _header, messages = catalog
    known = {entry["msgid"] for entry in messages}
    marked = marked_strings()
    assert len(marked) > 500
    missing = {msgid: str(path.relative_to(settings.BASE_DIR)) for msgid, path in marked.items() if msgid not in known}
    assert not missing, (
        f"strings marked for translation but missing from {PO_FILE} (re-run makemessages and translate them, "
        f"see README 'Languages'): {missing}"
    )


def test_ledger_export_keeps_chinese_headers_in_english_mode(client, county):
    """Exchange files keep the national format: an English-speaking user still exports 户编号, not "Household number"."""
    import io

    import openpyxl

    client.force_login(county.users.county_staff)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Household number" in client.get(reverse("households:list")).content.decode()
    response = client.get(reverse("households:export_households"))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    headers = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    assert "户编号" in headers and "Household number" not in headers
