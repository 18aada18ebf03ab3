"""Layers only point down: reports and charts import nothing of the app above the models
(no database session, no domain package, no workflow constants), read from the source."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FLOOR = ("app/reports", "app/charts")
# What a report or chart may import from the app: the models and each other.
ALLOWED = {"models", "reports", "charts"}


def _imported(tree: ast.Module, package: list[str]) -> list[tuple[int, str]]:
    """(line, dotted name) of every module the source imports, relative ones resolved
    against `package` (["app", "reports", "recall"]), at any depth (lazy imports too)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                found.append((node.lineno, node.module))
                continue
            if node.level > len(package):
                found.append((node.lineno, "." * node.level + (node.module or "")))  # beyond the app: refused
                continue
            base = package[: len(package) - node.level + 1]
            if node.module:
                found.append((node.lineno, ".".join([*base, node.module])))
            else:  # `from .. import events` imports app.events
                found += [(node.lineno, ".".join([*base, alias.name])) for alias in node.names]
    return found


def bad_imports(source: str, module: str) -> list[str]:
    """The imports of `source` (the module `module`, e.g. "app.reports.recall.full") that
    reach into the app anywhere but its models, reports and charts."""
    package = module.split(".")[:-1]  # a package's own module is named "<package>.__init__"
    out = []
    for line, name in _imported(ast.parse(source), package):
        head = name.split(".")
        if name.startswith(".") or (head[0] == "app" and (len(head) < 2 or head[1] not in ALLOWED)):
            out.append(f"{module}:{line} imports {name}")
    return out


def _modules() -> list[Path]:
    return sorted(path for floor in FLOOR for path in (ROOT / floor).rglob("*.py"))


def test_every_report_and_chart_module_is_checked():
    names = {path.relative_to(ROOT).as_posix() for path in _modules()}
    assert {"app/reports/styles.py", "app/reports/recall/full.py", "app/charts/weekly.py"} <= names


def test_reports_and_charts_import_nothing_above_the_models():
    bad = []
    for path in _modules():
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        bad += bad_imports(path.read_text(encoding="utf-8"), module)
    assert not bad, "reports/ and charts/ may import only app.models, app.reports and app.charts:\n" + "\n".join(bad)


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("app.reports.recall.full", "from ...workflow import RECALL"),
        ("app.reports.recall.full", "from ...extensions import db"),
        ("app.reports.incident", "from .. import events"),
        ("app.reports.incident", "import app.recalls.responses"),
        ("app.reports.incident", "from app.workflow import LOT"),
        ("app.charts.__init__", "from ..trends import queries"),
        ("app.charts.weekly", "def f():\n    from ..recalls.responses import effectiveness\n"),
        ("app.charts.weekly", "from .... import anything"),
    ],
)
def test_a_bad_import_is_caught(module, source):
    assert bad_imports(source, module)


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("app.reports.recall.full", "from ...charts.effectiveness import effectiveness_chart"),
        ("app.reports.recall.full", "from ..styles import BODY\nfrom .layout import fit"),
        ("app.reports.recall.__init__", "from .data import RecallReportData"),
        ("app.reports.incident", "from ..models import Lot\nimport app.models.types"),
        ("app.charts.weekly", "import math\nfrom reportlab.graphics.shapes import Drawing"),
    ],
)
def test_a_good_import_passes(module, source):
    assert bad_imports(source, module) == []
