"""Saved views in the config file: read, checked, and added without touching the rest."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.config import SavedViews, ViewConfig, load_settings, parse_sort, toml_string
from triage.errors import ConfigError

CONFIG = """\
# The team's settings. Comments, spacing and order must survive a saved view.
db = "team.db"
analyst = "alice"   # who I am

[[views]]
name = "mine-high"
query = 'assignee:alice severity>=high'
sort = "due asc"

[[sources]]
name = "elastic-prod"
kind = "elasticsearch"
urls = ["https://es1.internal:9200"]
index = ".alerts-security.alerts-*"
query = { term = { "kibana.alert.workflow_status" = "open" } }
"""


def test_views_are_read_with_their_sort(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    s = load_settings(path)
    assert [v.name for v in s.views] == ["mine-high"]
    assert s.view("mine-high").order == ("due", False)
    with pytest.raises(ConfigError, match=r"no view named 'nope' in the config file \(known: mine-high\)"):
        s.view("nope")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('name = "x"\nquery = "severity>=hgh"', r"views\.0\.query: .*column 11: unknown severity 'hgh'"),
        ('name = "x"\nsort = "colour"', r"views\.0\.sort: .*write a column"),
        ('name = "x"\nsort = "due sideways"', r"views\.0\.sort: .*asc or desc"),
        ('name = " "', r"views\.0\.name: .*needs a name"),
        (
            'name = "x"\nfilter = "a"',
            r"views\.0\.filter: unknown setting \(known settings: name, query, sort\)",
        ),
        ('name = "x"\n[[views]]\nname = "x"', r"views: .*repeated: x"),
    ],
)
def test_a_bad_view_is_refused_with_file_and_field(tmp_path: Path, table: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f"[[views]]\n{table}\n")
    with pytest.raises(ConfigError, match=message):
        load_settings(path)


def test_sort_defaults_to_the_columns_own_direction() -> None:
    assert parse_sort("severity") == ("severity", True)
    assert parse_sort("host") == ("host", False)
    assert parse_sort("age asc") == ("age", False)


def test_saving_a_view_appends_it_and_keeps_every_other_byte(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    path.chmod(0o640)
    views = SavedViews(path)
    view = ViewConfig(name='night "shift"', query='rule:"ET SCAN*" -assignee:* \\ tab\there', sort="age desc")
    views.save(view)
    text = path.read_text()
    assert text.startswith(CONFIG)  # untouched, comments and all
    assert [v.name for v in views.load()] == ["mine-high", 'night "shift"']
    assert views.load()[-1] == view
    assert load_settings(path).sources[0].name == "elastic-prod"
    assert path.stat().st_mode & 0o777 == 0o640
    with pytest.raises(ConfigError, match="is saved already"):
        views.save(view)
    assert path.read_text() == text


def test_saving_into_a_missing_file_creates_it(tmp_path: Path) -> None:
    path = tmp_path / "new" / "config.toml"
    SavedViews(path).save(ViewConfig(name="open-critical", query="severity:critical"))
    assert SavedViews(path).load() == [ViewConfig(name="open-critical", query="severity:critical")]


def test_a_file_it_cannot_add_to_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    original = 'views = [{ name = "inline" }]\n'
    path.write_text(original)
    with pytest.raises(ConfigError, match="cannot add the view to this file"):
        SavedViews(path).save(ViewConfig(name="x"))
    assert path.read_text() == original
    broken = 'db = "x\n'
    path.write_text(broken)
    with pytest.raises(ConfigError, match="not valid TOML"):
        SavedViews(path).save(ViewConfig(name="x"))
    assert path.read_text() == broken


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=30))
def test_toml_strings_read_back_as_written(text: str) -> None:
    assert tomllib.loads(f"v = {toml_string(text)}")["v"] == text
