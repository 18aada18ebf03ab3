"""The characters typed text may hold: one check for every form field and every CSV cell.

Control characters and invisible direction overrides reach reports, CSV exports, emails and
the audit trail; an override (U+202E) makes "gpj.exe" display as "exe.jpg", a line break in
a name breaks a CSV line or an email header. Web forms (app/web/forms.AppForm applies it to
every text field) and the CSV importers (app/imports/fields.py, app/csv_import.py through the
same forms) call `problem` so the rule and its messages live here only.

Three kinds of value:
- "text": several lines (a description): line breaks and tabs stay; other control characters
  and direction overrides or isolates are refused;
- "line": one line (a name, a title): also no line break, tab or invisible format character,
  except the zero-width joiner and non-joiner that emoji and some scripts need;
- "code": a code (a lot code, a SKU): no invisible format character at all.
"""

import unicodedata

KINDS = ("text", "line", "code")
_MULTILINE_OK = frozenset("\n\r\t")
_LINE_BREAKS = frozenset("\n\r\u2028\u2029\x85\x0b\x0c")
# Embeddings, overrides and isolates: they reorder how the text around them is displayed.
_DIRECTION = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_JOINERS = frozenset("\u200c\u200d")  # needed inside emoji sequences and Persian or Indic words


def _code_point(char: str) -> str:
    return f"U+{ord(char):04X}"


def problem(value: str | None, kind: str = "line") -> str | None:
    """What to fix in `value` (a message naming the first bad character), or None if it may stay."""
    if not value:
        return None
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    for position, char in enumerate(value, start=1):
        if char.isprintable() and char not in _DIRECTION:
            continue  # the common case: no lookup
        where = f" (character {position})"
        if char in _DIRECTION:
            return (
                f"Remove the invisible text-direction character {_code_point(char)}{where}: "
                "it makes text display in a misleading order."
            )
        if kind == "text" and char in _MULTILINE_OK:
            continue
        if char in _LINE_BREAKS:
            return f"Remove the line break{where}: this field takes a single line."
        if char == "\t":
            return f"Remove the tab{where}: this field takes a single line."
        category = unicodedata.category(char)
        if category == "Cc":
            return f"Remove the control character {_code_point(char)}{where}; it cannot be typed or shown."
        if category == "Cf" and kind != "text" and not (kind == "line" and char in _JOINERS):
            return f"Remove the invisible character {_code_point(char)}{where}."
    return None
