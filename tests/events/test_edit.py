"""`events add`: comments kept, duplicates refused with the file untouched, atomic writes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from events.catalogue import SHIPPED_CATALOGUE, read_catalogue
from events.edit import add_event, render_event
from satellite.errors import EventCatalogueError
from tests.events.helpers import KNOWN, TODAY

MINE = """# my catalogue: keep this comment
[[event]]
id = "x1"  # and this one
announced = 2025-09-06
timing = "pre_market"
tickers = ["NBIS"]
kind = "contract"
# a trailing comment
"""

NEW = {"id": "y2", "announced": "2025-10-01", "timing": "after_close", "tickers": ["CRWV"],
       "kind": "contract", "value_usd": 17.4e9, "value_usd_max": 19.4e9, "summary": "s",
       "sources": ["https://example.com"], "counterparty": None}


def _add(target: Path, **changes: object) -> None:
    add_event(target, {**NEW, **changes}, [SHIPPED_CATALOGUE, target], KNOWN, TODAY)


def test_append_keeps_the_existing_text_byte_for_byte(tmp_path: Path) -> None:
    target = tmp_path / "mine.toml"
    target.write_text(MINE, encoding="utf-8")
    _add(target)
    text = target.read_text(encoding="utf-8")
    assert text.startswith(MINE + "\n[[event]]\n")
    events = read_catalogue(target, KNOWN, TODAY)
    assert [event.id for event in events] == ["x1", "y2"]
    new = events[1]
    assert new.announced == dt.date(2025, 10, 1)
    assert new.value_usd == 17.4e9 and new.value_usd_max == 19.4e9
    assert new.counterparty is None and new.sources == ("https://example.com",)
    assert "value_usd = 17400000000\n" in text


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"id": "nbis-microsoft"}, "event 'nbis-microsoft': field 'id': duplicate id, already "
         f"defined in {SHIPPED_CATALOGUE}"),
        ({"id": "x1"}, "event 'x1': field 'id': duplicate id, already defined earlier in this file"),
        ({"tickers": ["ZZZ"]}, "event 'y2': field 'tickers': unknown ticker 'ZZZ'"),
        ({"announced": "2030-01-01"}, "event 'y2': field 'announced': 2030-01-01 is in the future"),
        ({"timing": "later"}, "event 'y2': field 'timing': 'later' is not one of"),
    ],
)
def test_refused_additions_leave_the_file_byte_identical(
    tmp_path: Path, changes: dict[str, object], expected: str
) -> None:
    folder = tmp_path / "catalogues"
    folder.mkdir()
    target = folder / "mine.toml"
    target.write_bytes(MINE.encode())
    before = target.stat().st_mtime_ns
    with pytest.raises(EventCatalogueError) as caught:
        _add(target, **changes)
    assert expected in str(caught.value)
    assert target.read_bytes() == MINE.encode()
    assert target.stat().st_mtime_ns == before
    assert [path.name for path in folder.iterdir()] == ["mine.toml"]  # no temp file left


def test_a_broken_file_is_never_appended_to(tmp_path: Path) -> None:
    target = tmp_path / "mine.toml"
    broken = MINE.replace('kind = "contract"', 'kind = "contract')
    target.write_text(broken, encoding="utf-8")
    with pytest.raises(EventCatalogueError, match="invalid TOML near event 'x1'"):
        _add(target)
    assert target.read_text(encoding="utf-8") == broken


def test_a_new_file_is_created_with_a_header(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "new.toml"
    _add(target)
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# My satellite events")
    assert [event.id for event in read_catalogue(target, KNOWN, TODAY)] == ["y2"]


def test_file_without_final_newline(tmp_path: Path) -> None:
    target = tmp_path / "mine.toml"
    target.write_text(MINE.rstrip("\n"), encoding="utf-8")
    _add(target)
    assert len(read_catalogue(target, KNOWN, TODAY)) == 2


def test_render_event_round_trips(tmp_path: Path) -> None:
    events = read_catalogue(SHIPPED_CATALOGUE, KNOWN, TODAY)
    text = "".join(render_event(event) + "\n" for event in events)
    path = tmp_path / "copy.toml"
    path.write_text(text, encoding="utf-8")
    copied = read_catalogue(path, KNOWN, TODAY)
    assert [(*vars(a).values(),)[:-1] for a in copied] == [(*vars(e).values(),)[:-1] for e in events]
