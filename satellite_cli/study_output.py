"""How `events study` and `events suggest` print: rich tables (loaded only when a command prints)."""

from __future__ import annotations

from rich.table import Table

from events.significance import Significance
from events.study import MIN_EVENTS
from events.study_types import Group, StudyResult, Window, window_key
from events.suggest import Scan, add_command
from satellite_cli.output import console, percent

FEW = (f"n < {MIN_EVENTS}: no t, band or p-value but the placebo one (one or two events give no "
       "usable estimate of the spread between events)")


def _label(window: Window) -> str:
    return f"[{window_key(window).replace(':', ',')}]"


def _test(test: Significance) -> str:
    if test.statistic is None or test.p_value is None:
        return "-"
    return f"{test.statistic:.2f} ({_p(test.p_value)})"


def _p(value: float | None) -> str:
    """A p-value: 3 decimals, 4 below 0.001 (the placebo's floor is 1 / (draws + 1))."""
    if value is None:
        return "-"
    return f"{value:.3f}" if value >= 0.001 else f"{value:.4f}"


def print_study(result: StudyResult) -> None:
    settings = result.settings
    console.print(
        f"Event study: benchmark {result.benchmark}, estimation {settings.estimation} sessions, gap "
        f"{settings.gap}; tests: statistic (two-sided p-value); placebo: {settings.placebo_draws:,} "
        f"pseudo-event samples per group (seed {settings.seed}); tradeable: from the first open "
        "after the news", soft_wrap=True, markup=False)
    for window in settings.sub_windows():
        _print_window(result, window)
    _print_events(result)
    for item, reason in result.skipped:
        console.print(f"skipped {item.event.id} ({item.ticker}): {reason}", soft_wrap=True, markup=False)


def _print_window(result: StudyResult, window: Window) -> None:
    tradeable = (0, window[1])
    table = Table(title=f"CAR {_label(window)} by ticker and kind")
    for column in ("ticker", "kind", "n", "mean CAR", f"tradeable {_label(tradeable)}", "t (p)",
                   "BMP (p)", "rank (p)", "sign (p)", "placebo p"):
        table.add_column(column, justify="left" if column in ("ticker", "kind") else "right")
    few: list[str] = []
    notes: list[str] = []
    for group in result.groups:
        stats = group.stats[window]
        moved = group.tradeable.get(tradeable)
        table.add_row(
            group.ticker, group.kind, str(stats.n), percent(stats.mean),
            percent(None if moved is None else moved.mean), _test(stats.t), _test(stats.bmp),
            _test(stats.rank), _test(stats.sign), _p(stats.placebo_p),
        )
        if stats.n < MIN_EVENTS:
            few.append(_members(result, group, window))
        elif stats.note:
            notes.append(f"{group.ticker} {group.kind}: {stats.note}")
    console.print(table)
    if few:
        console.print(f"  {FEW}:", soft_wrap=True, markup=False)
    for line in few:
        console.print(f"    {line}", soft_wrap=True, markup=False)
    for line in notes:
        console.print(f"  note: {line}", soft_wrap=True, markup=False)


def _members(result: StudyResult, group: Group, window: Window) -> str:
    """'CRWV acquisition: crwv-core-scientific (CRWV) -14.0%, ...' for a group below MIN_EVENTS."""
    cars = {row.label: row.cars[window] for row in result.rows}
    listed = ", ".join(f"{label} {percent(cars.get(label))}" for label in group.members)
    return f"{group.ticker} {group.kind} (n={group.stats[window].n}): {listed}"


def _print_events(result: StudyResult) -> None:
    windows = result.settings.sub_windows()
    tradeable = sorted({window for row in result.rows for window in row.tradeable})
    table = Table(title="Per event: CAR, then tradeable CAR from the first open (* flagged: short "
                  "history or fallback model)")
    for column in ("id", "ticker", "day 0", "model", "est.", "beta", *(_label(w) for w in windows),
                   "open", *(f"tr {_label(w)}" for w in tradeable)):
        table.add_column(column, justify="left" if column in ("id", "ticker", "model") else "right",
                         no_wrap=column == "id")
    for row in result.rows:
        model = row.result.model + (" *" if row.result.flagged else "")
        beta = "-" if row.result.beta is None else f"{row.result.beta:.2f}"
        table.add_row(
            row.aligned.event.id, row.aligned.ticker, f"{row.aligned.day0:%Y-%m-%d}", model,
            str(row.result.estimation_sessions), beta, *(percent(row.cars[w]) for w in windows),
            f"day {row.first_open}", *(percent(row.tradeable[w]) for w in tradeable),
        )
    console.print(table)


def print_suggestions(scan: Scan, z_min: float) -> None:
    if not scan.suggestions:
        console.print(f"no unexplained session beyond |z| {z_min:g} ({scan.scored} sessions scored)",
                      soft_wrap=True, markup=False)
        return
    table = Table(title=f"Sessions beyond |z| {z_min:g} that no catalogue event explains, by |z|")
    for column in ("ticker", "session", "return", "abnormal", "z", "model"):
        table.add_column(column, justify="left" if column in ("ticker", "model") else "right")
    for item in scan.suggestions:
        table.add_row(item.ticker, f"{item.session:%Y-%m-%d}", percent(item.ret), percent(item.abnormal),
                      f"{item.z:+.2f}", item.model)
    console.print(table)
    console.print("To catalogue one, fill in KIND (and the timing if you know it), what happened and "
                  "where you read it:", soft_wrap=True, markup=False)
    for item in scan.suggestions:
        console.print(f"  {add_command(item)}", soft_wrap=True, markup=False)
    if scan.unscored:
        console.print(f"{scan.unscored} sessions not scored: fewer than min_estimation sessions of "
                      "history before them", soft_wrap=True, markup=False)
