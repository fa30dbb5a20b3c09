"""The README and the documents it links: the feed reference in docs/feeds.md is generated
from the feed descriptions (keep it current), the README's first screen gives the two
commands, and no relative link in them points at a file or heading that is not there."""

import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from feeds.management.commands.describe_feeds import replace_reference

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
FEED_REFERENCE = ROOT / "docs" / "feeds.md"
# The documents a reader reaches from the README.
DOCUMENTS = [README, *sorted((ROOT / "docs").glob("*.md")), ROOT / "deploy" / "README.md", ROOT / "bench" / "README.md"]

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^\s*(```|~~~)")


def test_feed_reference_matches_the_feed_descriptions():
    text = FEED_REFERENCE.read_text()
    assert replace_reference(text) == text, "run: python manage.py describe_feeds --write docs/feeds.md"


def test_describe_feeds_refuses_a_file_without_the_markers(tmp_path):
    plain = tmp_path / "README.md"
    plain.write_text("# no reference here\n")
    with pytest.raises(CommandError, match="no feed reference"):
        call_command("describe_feeds", write=plain)
    assert plain.read_text() == "# no reference here\n"


def test_readme_first_screen_gives_the_two_commands():
    first_screen = "\n".join(README.read_text().splitlines()[:30])
    assert "```sh\nbin/demo\n```" in first_screen
    assert "```sh\nbin/test\n```" in first_screen
    assert first_screen.count("```sh") == 2  # exactly these two


def prose_lines(path: Path) -> list[str]:
    """The lines outside fenced code blocks (a `# comment` in a shell block is no heading)."""
    lines, fenced = [], False
    for line in path.read_text().splitlines():
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def anchors(path: Path) -> set[str]:
    """GitHub's anchors of a Markdown file's headings: lower case, punctuation but hyphens
    dropped, spaces as hyphens, a repeated one suffixed -1, -2, …"""
    found: set[str] = set()
    for line in prose_lines(path):
        heading = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not heading:
            continue
        slug = re.sub(r"[^\w\- ]", "", heading.group(1).lower()).replace(" ", "-")
        anchor, n = slug, 0
        while anchor in found:
            n += 1
            anchor = f"{slug}-{n}"
        found.add(anchor)
    return found


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_finds_its_file_and_heading(document: Path):
    broken = []
    for line in prose_lines(document):
        for target in LINK.findall(line.replace("`", "")):
            if re.match(r"[a-z]+:", target):
                continue  # https:, mailto:
            name, _, anchor = target.partition("#")
            linked = (document.parent / name).resolve() if name else document
            if not linked.exists():
                broken.append(f"{target}: no such file")
            elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
                broken.append(f"{target}: no such heading")
    assert broken == []
