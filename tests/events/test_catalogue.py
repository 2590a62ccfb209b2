"""The shipped catalogue and every validation error (RELIABILITY.md case 4)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from events.catalogue import KINDS, SHIPPED_CATALOGUE, TIMINGS, load_catalogue, read_catalogue
from satellite.errors import EventCatalogueError
from tests.events.helpers import GOOD_EVENT, KNOWN, TODAY, write


def test_shipped_catalogue_has_the_20_events_of_the_research_table() -> None:
    events = load_catalogue([SHIPPED_CATALOGUE], KNOWN, TODAY)
    assert len(events) == 20
    assert len({event.id for event in events}) == 20
    assert {event.kind for event in events} <= set(KINDS)
    assert {event.timing for event in events} <= set(TIMINGS)
    by_id = {event.id: event for event in events}
    microsoft = by_id["nbis-microsoft"]
    assert microsoft.announced == dt.date(2025, 9, 8)
    assert microsoft.timing == "after_close"
    assert microsoft.tickers == ("NBIS",)
    assert microsoft.value_usd == 17.4e9
    assert microsoft.value_usd_max == 19.4e9
    assert microsoft.counterparty == "Microsoft"
    assert by_id["oracle-openai-backlog"].tickers == ("CRWV", "NBIS", "NVDA")
    assert by_id["nbis-q2-2025"].counterparty is None
    assert by_id["nbis-q2-2025"].value_usd is None
    assert by_id["crwv-openai-11.9b"].timing == "unknown"
    assert by_id["nbis-700m-raise"].value_usd == 700e6
    assert all(event.sources for event in events)


def test_sources_name_something_a_reader_can_find() -> None:
    """An article (publisher or author, with a title, date or URL), or the price move that
    confirms a widely reported fact: never an internal label such as 'seed 000' or 'public'."""
    events = load_catalogue([SHIPPED_CATALOGUE], KNOWN, TODAY)
    findable = re.compile(r"https://|\d{4}-\d{2}-\d{2}|WeChat|RockFlow|article|confirm it: \w+ [+-]\d")
    for event in events:
        for source in event.sources:
            assert not re.search(r"\bseed \d|^public$", source), (event.id, source)
            assert findable.search(source), (event.id, source)


def test_a_weekend_date_is_valid(tmp_path: Path) -> None:
    [event] = read_catalogue(write(tmp_path, GOOD_EVENT), KNOWN, TODAY)
    assert event.announced == dt.date(2025, 9, 6)  # a Saturday
    assert event.file == tmp_path / "mine.toml"


def test_an_empty_user_catalogue_is_valid(tmp_path: Path) -> None:
    assert read_catalogue(write(tmp_path, "# my events\n"), KNOWN, TODAY) == []


def test_strings_and_single_values_are_accepted(tmp_path: Path) -> None:
    text = GOOD_EVENT.replace("2025-09-06", '"2025-09-06"').replace('["NBIS"]', '"NBIS"')
    text += 'sources = "https://example.com/x"\n'
    [event] = read_catalogue(write(tmp_path, text), KNOWN, TODAY)
    assert event.announced == dt.date(2025, 9, 6)
    assert event.tickers == ("NBIS",)
    assert event.sources == ("https://example.com/x",)


def _error(tmp_path: Path, text: str, known: set[str] | None = KNOWN) -> str:
    path = write(tmp_path, text)
    with pytest.raises(EventCatalogueError) as caught:
        read_catalogue(path, known, TODAY)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    return message


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('"pre_market"', '"after-close"', "event 'my-event': field 'timing': 'after-close' is not "
         "one of pre_market, intraday, after_close, unknown (did you mean 'after_close'?)"),
        ('"contract"', '"contracts"', "event 'my-event': field 'kind': 'contracts' is not one of"),
        ('["NBIS"]', '["AMD"]', "event 'my-event': field 'tickers': unknown ticker 'AMD': no "
         "prices; run `satellite data update AMD`"),
        ('["NBIS"]', '["nbis"]', "field 'tickers': 'nbis' is not a ticker"),
        ('["NBIS"]', '[]', "field 'tickers': give a non-empty list"),
        ('["NBIS"]', '["NBIS", "NBIS"]', "field 'tickers': ['NBIS', 'NBIS'] lists a ticker twice"),
        ("2025-09-06", "2026-07-03", "event 'my-event': field 'announced': 2026-07-03 is in the "
         "future (today is 2026-07-02)"),
        ("2025-09-06", "2025-09-06T16:05:00", "field 'announced': datetime.datetime(2025, 9, 6, 16"),
        ("2025-09-06", '"next week"', "field 'announced': 'next week' is not a date"),
        ('"my-event"', '"My Event"', "event 'My Event': field 'id': 'My Event' is not a valid id"),
        ('kind = "contract"', 'kind = "contract"\nvalue = 3e9', "field 'value': unknown field; "
         "did you mean 'value_usd'?"),
        ('kind = "contract"', 'kind = "contract"\nvalue_usd = -1', "field 'value_usd': -1 must be "
         "a positive amount"),
        ('kind = "contract"', 'kind = "contract"\nvalue_usd = "3B"', "field 'value_usd': '3B' is "
         "not a number"),
        ('kind = "contract"', 'kind = "contract"\nvalue_usd_max = 3e9', "field 'value_usd_max': "
         "needs value_usd"),
        ('kind = "contract"', 'kind = "contract"\nvalue_usd = 3e9\nvalue_usd_max = 2e9',
         "field 'value_usd_max': needs value_usd and must be >= value_usd"),
        ('kind = "contract"', 'kind = "contract"\ncounterparty = ""', "field 'counterparty'"),
        ('kind = "contract"', 'kind = "contract"\nsummary = 3', "field 'summary': must be a string"),
        ('kind = "contract"', 'kind = "contract"\nsources = [1]', "field 'sources': must be a list"),
        ('timing = "pre_market"\n', "", "event 'my-event': field 'timing': missing"),
    ],
)
def test_field_errors_name_file_event_and_field(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in GOOD_EVENT
    assert expected in _error(tmp_path, GOOD_EVENT.replace(old, new, 1))


def test_missing_id_names_the_event_by_position(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD_EVENT + GOOD_EVENT.replace('id = "my-event"\n', ""))
    assert "event #2: field 'id': missing" in message


def test_malformed_toml_names_the_nearest_event(tmp_path: Path) -> None:
    text = GOOD_EVENT + GOOD_EVENT.replace('"my-event"', '"second"').replace(
        'kind = "contract"', 'kind = "contract'
    )
    message = _error(tmp_path, text)
    assert "invalid TOML near event 'second'" in message
    assert "line 14" in message


def test_malformed_toml_before_any_id(tmp_path: Path) -> None:
    assert "invalid TOML: " in _error(tmp_path, "[[event]\n")


def test_duplicate_id_in_one_file(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD_EVENT + GOOD_EVENT)
    assert "event 'my-event': field 'id': duplicate id, already defined earlier in this file" in message


def test_duplicate_id_across_files(tmp_path: Path) -> None:
    mine = write(tmp_path, GOOD_EVENT.replace('"my-event"', '"nbis-microsoft"'))
    with pytest.raises(EventCatalogueError) as caught:
        load_catalogue([SHIPPED_CATALOGUE, mine], KNOWN, TODAY)
    assert str(caught.value) == (
        f"{mine}: event 'nbis-microsoft': field 'id': duplicate id, already defined in "
        f"{SHIPPED_CATALOGUE}; ids must be unique across catalogues, rename one of them"
    )


def test_unknown_top_level_key_and_wrong_shape(tmp_path: Path) -> None:
    assert "unknown top-level key 'events'" in _error(tmp_path, GOOD_EVENT.replace("[[event]]", "[[events]]"))
    assert "write [[event]]" in _error(tmp_path, 'event = "x"\n')


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(EventCatalogueError, match="catalogue file not found"):
        read_catalogue(tmp_path / "nope.toml", KNOWN, TODAY)


def test_known_tickers_none_skips_the_price_check(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_EVENT.replace('["NBIS"]', '["AMD"]'))
    assert read_catalogue(path, None, TODAY)[0].tickers == ("AMD",)
