"""The README's feed reference is generated from the feed descriptions; keep it current."""

from pathlib import Path

from feeds.management.commands.describe_feeds import replace_reference

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_feed_reference_matches_the_feed_descriptions():
    text = README.read_text()
    assert replace_reference(text) == text, "run: python manage.py describe_feeds --write README.md"


def test_readme_first_screen_gives_the_two_commands():
    first_screen = "\n".join(README.read_text().splitlines()[:30])
    assert "```sh\nbin/demo\n```" in first_screen
    assert "```sh\nbin/test\n```" in first_screen
