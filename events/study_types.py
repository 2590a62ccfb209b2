"""The event study's typed records: one row per (event, ticker), one group per (ticker, kind)."""

from __future__ import annotations

from dataclasses import dataclass

from events.align import AlignedEvent
from events.significance import Significance
from events.study import AbnormalReturns, Aggregate, StudySettings

ALL = "ALL"
Window = tuple[int, int]


def window_key(window: Window) -> str:
    return f"{window[0]}:{window[1]}"


@dataclass(frozen=True)
class StudyRow:
    """One (event, ticker): its model and ARs; per window its CAR and the CAR's forecast-error
    standard deviation (None without a fitted model); the tradeable CARs from the first open the
    investor could act on (day `first_open`, from the event's timing)."""

    aligned: AlignedEvent
    benchmark: str | None
    result: AbnormalReturns
    cars: dict[Window, float | None]
    car_sds: dict[Window, float | None]
    first_open: int
    tradeable: dict[Window, float | None]

    @property
    def label(self) -> str:
        return f"{self.aligned.event.id} ({self.aligned.ticker})"

    @property
    def note(self) -> str | None:
        model, count = self.result.model, self.result.estimation_sessions
        if model == "benchmark_adjusted":
            return f"only {count} estimation sessions: AR = r - r({self.benchmark})"
        if model == "raw":
            return f"only {count} estimation sessions and no benchmark: AR = raw return"
        if self.result.flagged:
            return f"short estimation window: {count} sessions"
        return None


@dataclass(frozen=True)
class WindowStats:
    """A group's CAR over one window: mean and n of the known CARs, the four tests (None
    statistics below MIN_EVENTS events), the placebo p-value and why something is missing."""

    mean: float | None
    n: int
    t: Significance
    bmp: Significance
    rank: Significance
    sign: Significance
    placebo_p: float | None
    placebo_draws: int
    note: str | None


@dataclass(frozen=True)
class Group:
    """ticker ALL: the kind over every ticker. members: the rows' labels, in catalogue order."""

    ticker: str
    kind: str
    n: int
    members: tuple[str, ...]
    stats: dict[Window, WindowStats]
    tradeable: dict[Window, Aggregate]


@dataclass(frozen=True)
class StudyResult:
    settings: StudySettings
    benchmark: str
    rows: list[StudyRow]
    groups: list[Group]
    skipped: list[tuple[AlignedEvent, str]]
