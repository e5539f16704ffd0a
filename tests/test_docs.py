"""The repository stands alone: its docs' examples print what they show, its links resolve, and nothing in
it reads or cites material that lives outside the repository."""

import doctest
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md"))
PYCON_BLOCK = re.compile(r"```pycon\n(.*?)```", re.S)
MARKDOWN_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
TEXT_SUFFIXES = {".py", ".md", ".ipynb", ".toml", ".txt", ".cfg", ".json"}


def test_every_topic_the_index_promises_has_a_page():
    names = {path.name for path in DOCS}
    for topic in ("semantics", "backends", "routes", "formula-grammar", "netlist-formats", "theory"):
        assert f"{topic}.md" in names


@pytest.mark.parametrize("page", [path.name for path in DOCS])
def test_doc_examples_print_what_they_show(page, monkeypatch):
    """Every ```pycon block of a docs page, run as a doctest from the repository root (as a reader would)."""
    monkeypatch.chdir(ROOT)
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    parser = doctest.DocTestParser()
    for number, block in enumerate(PYCON_BLOCK.findall(text)):
        test = parser.get_doctest(block, {}, f"{page} block {number}", page, 0)
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


@pytest.mark.parametrize("page", ["README.md", *(f"docs/{path.name}" for path in DOCS)])
def test_relative_links_resolve(page):
    source = ROOT / page
    targets = MARKDOWN_LINK.findall(source.read_text(encoding="utf-8"))
    missing = [t for t in targets if "://" not in t and not (source.parent / t).exists()]
    assert not missing, f"{page} links to missing files: {missing}"


def _repository_text_files():
    for path in ROOT.rglob("*"):
        parts = path.relative_to(ROOT).parts
        if parts[0] == "build" or any(part.startswith(".") or part.endswith(".egg-info") for part in parts):
            continue
        if path.is_file() and path.suffix in TEXT_SUFFIXES and path != Path(__file__):
            yield path


def test_nothing_reads_or_cites_material_outside_the_repository():
    """The team notes and the shared data folder beside the checkout are not part of the repository."""
    outside = [
        re.compile(r"\.\./shared"),
        re.compile(r"shared/data"),
        re.compile(r"DESIGN(\.md)? ?§"),
        re.compile(r"CONSTRUCTIONS(\.md)? ?§"),
    ]
    offenders = [
        f"{path.relative_to(ROOT)}: {pattern.pattern}"
        for path in _repository_text_files()
        for pattern in outside
        if pattern.search(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert not offenders
