"""The documentation matches the code, so that it cannot drift without a test failing.

- README's flag tables list exactly the flags `roomlive.cli` accepts: the "Configuration" table
  every flag for a room, the "Flags for automated tests only" table the flags whose help says
  "for automated tests only" (and nothing else), each with the parser's default; every `--flag`
  the docs write is one the server or `run.py restore` takes, and docs/OPERATIONS.md names every
  flag of `run.py restore`.
- docs/ARCHITECTURE.md names every module (every `roomlive/**/*.py`, an `__init__.py` possibly by
  its package, and every `static/js/*.js`) in a table row of its own with a line on what
  it holds; its layer table holds for every module's imports; the path of one tap stays on a page.
- Every repository path written in backticks in the docs exists, every `roomlive.…`/`bench.…`/
  `tests.…` dotted name resolves, every `Class.attribute` of a roomlive class exists, and every
  "`name` in `roomlive/….py`" is defined in that module.

The checks are functions of a document's text; `test_the_checks_bite` feeds them drifted copies
of the real documents and expects each drift to be found.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import inspect
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from roomlive import cli


def _project_dir() -> Path:
    here = Path(__file__).resolve().parent
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file():
            return folder
    raise RuntimeError(f"no pyproject.toml above {here}")


PROJECT = _project_dir()
PACKAGE = PROJECT / "roomlive"
README = PROJECT / "README.md"
ARCHITECTURE = PROJECT / "docs" / "ARCHITECTURE.md"
OPERATIONS = PROJECT / "docs" / "OPERATIONS.md"
DOCS = [
    README,
    *sorted((PROJECT / "docs").glob("*.md")),
    *sorted((PROJECT / "bench").glob("*.md")),
    *sorted(PACKAGE.rglob("*.md")),
]

# A backticked word is a repository path when it starts with one of these (`templates/` and
# `static/` were top-level folders once: written so, they no longer exist and must fail).
PATH_ROOTS = {"roomlive", "bench", "tests", "docs", ".ci", "templates", "static"}
# Made by running something, not kept in the repository.
OUTPUTS = ("bench/results/",)
# A bare file name with one of these endings must be the name of some file in the repository.
SOURCE_ENDINGS = (".py", ".js", ".html", ".css", ".md")
FILE_ENDINGS = (*SOURCE_ENDINGS, ".db", ".json", ".pem", ".txt", ".key", ".csv", ".toml")
TEST_ONLY_HELP = "for automated tests only"
FLAG_TABLE_HEADER = ["flag", "default", "meaning"]
TEST_FLAGS_MARK = "Flags for automated tests only"
LAYER_TABLE_HEADER = ["layer", "may import from roomlive", "never imports"]
TAP_HEADING = "## The path of one tap"
TAP_MAX_LINES = 60  # one page


# --- reading markdown -----------------------------------------------------------------------


def without_fences(text: str) -> str:
    """The text with its fenced code blocks blanked (their lines kept, so counts still work)."""
    out, fenced = [], False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            out.append("")
        else:
            out.append("" if fenced else line)
    return "\n".join(out)


def code_spans(text: str) -> list[str]:
    """Every inline code span (`…`) outside fenced blocks; a span may run over a line break."""
    return [span.replace("\n", " ") for span in re.findall(r"`([^`]+)`", without_fences(text))]


def section(text: str, heading: str) -> str:
    """From `heading` (a whole line) to the next heading of the same or a higher level."""
    lines = text.splitlines()
    level = len(heading) - len(heading.lstrip("#"))
    start = lines.index(heading)
    end = len(lines)
    for number in range(start + 1, len(lines)):
        marks = len(lines[number]) - len(lines[number].lstrip("#"))
        if 0 < marks <= level and lines[number][marks : marks + 1] == " ":
            end = number
            break
    return "\n".join(lines[start:end])


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]
    before: str  # the paragraph above the table


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def tables(text: str) -> list[Table]:
    found: list[Table] = []
    lines = without_fences(text).splitlines()
    number = 0
    while number < len(lines):
        if not lines[number].lstrip().startswith("|"):
            number += 1
            continue
        start = number
        while number < len(lines) and lines[number].lstrip().startswith("|"):
            number += 1
        block = lines[start:number]
        above = "\n".join(lines[:start]).rstrip()
        before = above.rsplit("\n\n", 1)[-1]
        rows = [cells(line) for line in block[2:]]  # block[1] is the |---| line
        found.append(Table(cells(block[0]), rows, before))
    return found


def only_span(cell: str) -> str | None:
    """The code span a table cell holds and nothing else, e.g. `roomlive/app.py`."""
    matched = re.fullmatch(r"`([^`]+)`", cell)
    return matched.group(1) if matched else None


# --- the flags --------------------------------------------------------------------------------


def options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """Each long option of a parser, `--help` left out, with its action."""
    return {
        flag: action
        for action in parser._actions
        for flag in action.option_strings
        if flag.startswith("--") and flag != "--help"
    }


def is_test_only(action: argparse.Action) -> bool:
    return (action.help or "").startswith(TEST_ONLY_HELP)


def default_cell(action: argparse.Action) -> str | None:
    """What README's default column must say for this flag; None where it is free words."""
    if isinstance(action, argparse._StoreTrueAction):
        return "off"
    default = action.default
    if default is None or default == []:
        return None
    if isinstance(default, float) and default.is_integer():
        default = int(default)
    return f"`{default}`"


def flag_table_problems(readme: str, parser: argparse.ArgumentParser) -> list[str]:
    problems: list[str] = []
    flag_tables = [t for t in tables(readme) if [h.lower() for h in t.header] == FLAG_TABLE_HEADER]
    for_tests = [t for t in flag_tables if TEST_FLAGS_MARK in t.before]
    for_rooms = [t for t in flag_tables if TEST_FLAGS_MARK not in t.before]
    if len(for_rooms) != 1 or len(for_tests) != 1:
        return [
            f"README should have one flag table for a room and one after '{TEST_FLAGS_MARK}', "
            f"found {len(for_rooms)} and {len(for_tests)}"
        ]
    accepted = options(parser)
    for table, wanted in (
        (for_rooms[0], {f for f, a in accepted.items() if not is_test_only(a)}),
        (for_tests[0], {f for f, a in accepted.items() if is_test_only(a)}),
    ):
        which = "for tests" if table is for_tests[0] else "for a room"
        listed = [only_span(row[0]) or row[0] for row in table.rows]
        for flag in sorted(set(listed) - wanted):
            problems.append(f"README's table {which} lists {flag}, which it should not")
        for flag in sorted(wanted - set(listed)):
            problems.append(f"README's table {which} does not list {flag}")
        for flag in sorted({f for f in listed if listed.count(f) > 1}):
            problems.append(f"README's table {which} lists {flag} twice")
        for row in table.rows:
            flag = only_span(row[0]) or row[0]
            expected = default_cell(accepted[flag]) if flag in accepted else None
            if expected is not None and row[1] != expected:
                problems.append(f"README says {flag} defaults to {row[1]}, the code to {expected}")
            if len(row) < 3 or not row[2]:
                problems.append(f"README does not say what {flag} means")
    return problems


def flags_written(text: str) -> set[str]:
    return {flag for span in code_spans(text) for flag in re.findall(r"--[a-z][a-z-]*", span)}


def unknown_flag_problems(name: str, text: str, known: set[str]) -> list[str]:
    return [
        f"{name} writes {flag}, which neither the server nor restore takes"
        for flag in sorted(flags_written(text) - known)
    ]


def restore_flag_problems(operations: str, parser: argparse.ArgumentParser) -> list[str]:
    restore = section(operations, "## Restore: one command")
    return [
        f"docs/OPERATIONS.md's restore section does not name {flag}"
        for flag in sorted(set(options(parser)) - flags_written(restore))
    ]


def test_readme_flag_tables_list_exactly_the_flags_cli_accepts() -> None:
    problems = flag_table_problems(README.read_text(), cli.build_parser())
    assert not problems, "\n".join(problems)


def test_docs_write_only_flags_that_exist() -> None:
    known = {*options(cli.build_parser()), *options(cli.build_restore_parser()), "--help"}
    problems = [
        problem
        for doc in (README, *sorted((PROJECT / "docs").glob("*.md")))  # bench has its own flags
        for problem in unknown_flag_problems(doc.name, doc.read_text(), known)
    ]
    assert not problems, "\n".join(problems)


def test_operations_names_every_restore_flag() -> None:
    problems = restore_flag_problems(OPERATIONS.read_text(), cli.build_restore_parser())
    assert not problems, "\n".join(problems)


# --- the architecture -------------------------------------------------------------------------


def modules() -> list[str]:
    """Every module of the package and every front-end module, as repository paths."""
    found = [p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts]
    found += (PROJECT / "static" / "js").glob("*.js")
    return sorted(p.relative_to(PROJECT).as_posix() for p in found)


def module_rows(architecture: str) -> dict[str, str]:
    """Each table row whose first cell is one backticked path: that path -> the row's line."""
    rows: dict[str, str] = {}
    for table in tables(architecture):
        for row in table.rows:
            named = only_span(row[0])
            if named and "/" in named and len(row) > 1:
                rows[named] = row[1]
    return rows


def module_map_problems(architecture: str, paths: Iterable[str]) -> list[str]:
    rows = module_rows(architecture)
    problems = []
    for path in paths:
        names = [path]
        if path.endswith("/__init__.py"):
            names.append(path.removesuffix("__init__.py"))  # `roomlive/core/`: its package
        line = next((rows[name] for name in names if name in rows), None)
        if line is None:
            problems.append(f"docs/ARCHITECTURE.md has no row for {path}")
        elif not line.strip(" —-"):
            problems.append(f"docs/ARCHITECTURE.md's row for {path} says nothing")
    return problems


def test_architecture_names_every_module() -> None:
    problems = module_map_problems(ARCHITECTURE.read_text(), modules())
    assert not problems, "\n".join(problems)


@dataclass(frozen=True)
class Layer:
    where: str  # `roomlive/core/` (a folder: everything under it) or `roomlive/app.py`
    may: frozenset[str]  # roomlive's layers: core, review, live, web, app, cli
    never: frozenset[str]  # top-level module names


def layers(architecture: str) -> list[Layer]:
    table = next(t for t in tables(architecture) if t.header == LAYER_TABLE_HEADER)
    return [
        Layer(
            only_span(row[0]) or row[0],
            frozenset(re.findall(r"`([^`]+)`", row[1])),
            frozenset(re.findall(r"`([^`]+)`", row[2])),
        )
        for row in table.rows
    ]


def layer_of(path: str, known: list[Layer]) -> Layer | None:
    """The most specific row: the module's own, else its folder's."""
    fits = [
        layer
        for layer in known
        if layer.where == path
        or (
            layer.where.endswith("/")
            and path.startswith(layer.where)
            and "/" not in path.removeprefix(layer.where)
        )
    ]
    return max(fits, key=lambda layer: len(layer.where), default=None)


def imported(path: Path) -> Iterator[str]:
    """Every module a file imports, at any depth of its code (TYPE_CHECKING blocks too)."""
    package = ".".join(path.relative_to(PROJECT).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}".rstrip(".")
            if base == "roomlive":  # `from roomlive import web`: each name is a module
                yield from (f"roomlive.{alias.name}" for alias in node.names)
            else:
                yield base


def layer_problems(architecture: str, paths: Iterable[str]) -> list[str]:
    known = layers(architecture)
    problems = []
    for path in paths:
        if not path.endswith(".py"):
            continue
        layer = layer_of(path, known)
        if layer is None:
            problems.append(f"docs/ARCHITECTURE.md's layer table has no row for {path}")
            continue
        for name in imported(PROJECT / path):
            top, _, rest = name.partition(".")
            if top == "roomlive":
                part = rest.split(".")[0] if rest else "roomlive"
                if part not in layer.may:
                    problems.append(f"{path} imports {name}, but {layer.where} may not")
            elif top in layer.never:
                problems.append(f"{path} imports {name}, which {layer.where} never does")
    return problems


def test_architecture_layer_table_holds_for_every_import() -> None:
    problems = layer_problems(ARCHITECTURE.read_text(), modules())
    assert not problems, "\n".join(problems)


def test_the_path_of_one_tap_fits_on_a_page() -> None:
    lines = section(ARCHITECTURE.read_text(), TAP_HEADING).splitlines()
    assert len(lines) <= TAP_MAX_LINES, f"the path of one tap is {len(lines)} lines long"


# --- paths and names --------------------------------------------------------------------------


def repository_files() -> set[str]:
    skipped = {".git", ".venv", "__pycache__", "data", "build"}
    return {
        p.name
        for p in PROJECT.rglob("*")
        if p.is_file() and not skipped & set(p.relative_to(PROJECT).parts)
    }


def words(span: str) -> Iterator[str]:
    for word in span.split():
        word = word.strip("()[]{},;:'\"").removesuffix("'s").rstrip(".")
        if word:
            yield word


def path_problems(name: str, text: str, files: set[str]) -> list[str]:
    problems = []
    for span in code_spans(text):
        for word in words(span):
            if word.startswith("/") or "://" in word:
                continue  # a URL
            if "/" in word and word.split("/")[0] in PATH_ROOTS:
                if word.startswith(OUTPUTS):
                    continue
                if "*" in word:
                    exists = any(PROJECT.glob(word))
                elif "<" in word:  # a placeholder: its folder must exist
                    exists = (PROJECT / word.split("<")[0].rsplit("/", 1)[0]).is_dir()
                else:
                    exists = (PROJECT / word).exists()
                if not exists:
                    problems.append(f"{name} mentions {word}, which does not exist")
            elif (
                re.fullmatch(r"[\w.-]+", word)
                and word.endswith(SOURCE_ENDINGS)
                and word not in files
            ):
                problems.append(f"{name} mentions {word}, which no file is called")
    return problems


def test_paths_in_docs_exist() -> None:
    files = repository_files()
    problems = [
        problem
        for doc in DOCS
        for problem in path_problems(doc.relative_to(PROJECT).as_posix(), doc.read_text(), files)
    ]
    assert not problems, "\n".join(problems)


def resolves(dotted: str) -> bool:
    """`roomlive.web.render.Views`: the longest importable prefix, then attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            if importlib.util.find_spec(".".join(parts[:cut])) is None:
                continue
        except ModuleNotFoundError:
            continue
        found: object = importlib.import_module(".".join(parts[:cut]))
        for attribute in parts[cut:]:
            if not hasattr(found, attribute):
                return False
            found = getattr(found, attribute)
        return True
    return False


def package_modules() -> list[ModuleType]:
    return [
        importlib.import_module(".".join(p.relative_to(PROJECT).with_suffix("").parts))
        for p in sorted(PACKAGE.rglob("*.py"))
        if "__pycache__" not in p.parts and p.name not in ("__init__.py", "__main__.py")
    ]


def classes_by_name() -> dict[str, list[type]]:
    found: dict[str, list[type]] = {}
    for module in package_modules():
        for name, value in vars(module).items():
            if inspect.isclass(value) and value.__module__ == module.__name__:
                found.setdefault(name, []).append(value)
    return found


def defines(path: str, name: str) -> bool:
    """Whether the module at `path` has `name` (dotted: attributes), or one of its classes."""
    module = importlib.import_module(".".join(Path(path).with_suffix("").parts))
    if resolves(f"{module.__name__}.{name}"):
        return True
    own = [
        v for v in vars(module).values() if inspect.isclass(v) and v.__module__ == module.__name__
    ]
    return any(hasattr(cls, name) for cls in own)


def name_problems(name: str, text: str, classes: dict[str, list[type]]) -> list[str]:
    problems = []
    plain = without_fences(text)
    for span in code_spans(text):
        for word in words(span):
            dotted = re.fullmatch(r"(?:roomlive|bench|tests)(?:\.[A-Za-z_]\w*)+", word)
            if dotted and not word.endswith(FILE_ENDINGS) and not resolves(word):
                problems.append(f"{name} names {word}, which does not resolve")
        for owner, attribute in re.findall(r"\b([A-Z][A-Za-z0-9]+)\.([A-Za-z_]\w*)", span):
            if owner in classes and not any(hasattr(c, attribute) for c in classes[owner]):
                problems.append(f"{name} names {owner}.{attribute}, which does not exist")
    for symbol, path in re.findall(
        r"`([A-Za-z_][\w.]*)(?:\(\))?` in\s+`(roomlive/[\w/]+\.py)`", plain
    ):
        if (PROJECT / path).exists() and not defines(path, symbol):
            problems.append(f"{name} says {symbol} is in {path}, which does not define it")
    return problems


def test_code_names_in_docs_exist() -> None:
    classes = classes_by_name()
    problems = [
        problem
        for doc in DOCS
        for problem in name_problems(doc.relative_to(PROJECT).as_posix(), doc.read_text(), classes)
    ]
    assert not problems, "\n".join(problems)


# --- the checks themselves: each finds the drift it is for -------------------------------------


def _drop_line(text: str, containing: str) -> str:
    lines = text.splitlines()
    hit = next(line for line in lines if containing in line)
    return "\n".join(line for line in lines if line is not hit)


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


Drift = Callable[[], list[str]]

DRIFTS: dict[str, Drift] = {
    "a flag missing from README": lambda: flag_table_problems(
        _drop_line(README.read_text(), "| `--backup-dir` |"), cli.build_parser()
    ),
    "a flag README has and the code has not": lambda: flag_table_problems(
        _replace(
            README.read_text(), "| `--port` |", "| `--no-such-flag` | off | x |\n| `--port` |"
        ),
        cli.build_parser(),
    ),
    "a test flag in the table for a room": lambda: flag_table_problems(
        _replace(
            _drop_line(README.read_text(), "| `--test-clock` |"),
            "| `--port` |",
            "| `--test-clock` | off | x |\n| `--port` |",
        ),
        cli.build_parser(),
    ),
    "a default that changed": lambda: flag_table_problems(
        _replace(README.read_text(), "| `--port` | `8000` |", "| `--port` | `8080` |"),
        cli.build_parser(),
    ),
    "a flag the docs write that nothing takes": lambda: unknown_flag_problems(
        "README.md",
        README.read_text() + "\nStart with `--turbo`.\n",
        {*options(cli.build_parser()), *options(cli.build_restore_parser()), "--help"},
    ),
    "a restore flag OPERATIONS does not name": lambda: restore_flag_problems(
        OPERATIONS.read_text().replace("--db", "--database"), cli.build_restore_parser()
    ),
    "a module without its row": lambda: module_map_problems(
        _drop_line(ARCHITECTURE.read_text(), "| `roomlive/live/publisher.py` |"), modules()
    ),
    "a front-end module without its row": lambda: module_map_problems(
        _drop_line(ARCHITECTURE.read_text(), "| `static/js/keep.js` |"), modules()
    ),
    "a new module the map does not know": lambda: module_map_problems(
        ARCHITECTURE.read_text(), [*modules(), "roomlive/live/newcomer.py"]
    ),
    "a layer that may import less than it does": lambda: layer_problems(
        _replace(
            ARCHITECTURE.read_text(),
            "| `roomlive/live/` | `core`, `review`, `live` |",
            "| `roomlive/live/` | `core`, `live` |",
        ),
        modules(),
    ),
    "a layer said never to import what it does": lambda: layer_problems(
        _replace(
            ARCHITECTURE.read_text(),
            "| `jinja2`, `markupsafe`, `uvicorn` |",
            "| `jinja2`, `markupsafe`, `uvicorn`, `aiosqlite` |",
        ),
        modules(),
    ),
    "a stale path": lambda: path_problems(
        "README.md", "See `roomlive/rooms.py` and `static/app.js`.", repository_files()
    ),
    "a stale bare file name": lambda: path_problems(
        "README.md", "The rules are in `rules.py`.", repository_files()
    ),
    "a stale dotted name": lambda: name_problems(
        "README.md", "Run `python -m bench.nothing`; see `roomlive.rooms`.", classes_by_name()
    ),
    "a method that is gone": lambda: name_problems(
        "README.md", "`Rooms.execute_all` decides them.", classes_by_name()
    ),
    "a name in the wrong module": lambda: name_problems(
        "README.md", "`finish_interrupted` in `roomlive/live/writer.py`.", classes_by_name()
    ),
}


@pytest.mark.parametrize("drift", sorted(DRIFTS))
def test_the_checks_bite(drift: str) -> None:
    assert DRIFTS[drift]() != [], f"the check did not notice {drift}"
