"""How the events commands print: rich tables (loaded only when a command prints)."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.table import Table

from events.study import Aggregate
from events.study_report import StudyResult, window_key
from satellite_cli.output import console, percent


def print_list(rows: list[dict[str, Any]]) -> None:
    table = Table(title=f"Events ({len(rows)} event-ticker rows)")
    for column in ("id", "ticker", "announced", "timing", "day 0", "pre close", "day 0",
                   "5 sessions", "kind", "counterparty", "value"):
        table.add_column(column, justify="right" if column in ("pre close", "day 0", "5 sessions",
                                                               "value") else "left",
                         no_wrap=column == "id")
    for row in rows:
        table.add_row(
            row["id"], row["ticker"], row["announced"], row["timing"], row["day0"] or "-",
            "-" if row["pre_close"] is None else f"{row['pre_close']:.2f}",
            percent(row["day0_return"]), percent(row["return_5d"]), row["kind"],
            escape(row["counterparty"] or "-"), usd(row["value_usd"], row["value_usd_max"]),
        )
    console.print(table)


def usd(value: float | None, value_max: float | None = None) -> str:
    if value is None:
        return "-"
    text = _short(value)
    return f"{text}-{_short(value_max)}" if value_max is not None else text


def _short(value: float) -> str:
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= size:
            return f"{value / size:.4g}{suffix}"
    return f"{value:.0f}"


def print_show(payload: dict[str, Any]) -> None:
    console.print(f"[bold]{payload['id']}[/bold]  {payload['kind']}  announced "
                  f"{payload['announced']} ({payload['timing']})", soft_wrap=True)
    for label, key in (("summary", "summary"), ("counterparty", "counterparty"),
                       ("file", "file")):
        if payload[key]:
            console.print(f"  {label}: {payload[key]}", soft_wrap=True, markup=False)
    if payload["value_usd"] is not None:
        console.print(f"  value: {usd(payload['value_usd'], payload['value_usd_max'])} USD")
    if payload["sources"]:
        console.print(f"  sources: {'; '.join(payload['sources'])}", soft_wrap=True, markup=False)
    for detail in payload["tickers_detail"]:
        pre = "-" if detail["pre_close"] is None else f"{detail['pre_close']:.2f}"
        console.print(
            f"\n[bold]{detail['ticker']}[/bold]: day 0 {detail['day0'] or '-'}, pre-announcement "
            f"close {pre}, day 0 {percent(detail['day0_return'])}, 5 sessions "
            f"{percent(detail['return_5d'])}", soft_wrap=True,
        )
        if detail["note"]:
            console.print(f"  note: {detail['note']}", soft_wrap=True, markup=False)
        if detail["path"]:
            table = Table(show_edge=False)
            for column in ("day", "date", "close", "vs pre close"):
                table.add_column(column, justify="right")
            for point in detail["path"]:
                table.add_row(str(point["day"]), point["date"], f"{point['close']:.2f}",
                              percent(point["vs_pre_close"]))
            console.print(table)


def _mean_t(stat: Aggregate) -> str:
    if stat.mean is None:
        return "-"
    t_stat = "" if stat.t_stat is None else f" ({stat.t_stat:.2f})"
    return f"{percent(stat.mean)}{t_stat}"


def print_study(result: StudyResult) -> None:
    windows = result.settings.sub_windows()
    settings = result.settings
    table = Table(title=f"Mean CAR (t-stat) by ticker and kind (benchmark {result.benchmark}, estimation "
                  f"{settings.estimation} sessions, gap {settings.gap})")
    for column in ("ticker", "kind", "n", *(f"CAR [{window_key(w).replace(':', ',')}]"
                                           for w in windows)):
        table.add_column(column, justify="left" if column in ("ticker", "kind") else "right")
    for group in result.groups:
        table.add_row(group.ticker, group.kind, str(group.n),
                      *(_mean_t(group.stats[window]) for window in windows))
    console.print(table)
    events_table = Table(title="Per event (* flagged: short history or fallback model)")
    for column in ("id", "ticker", "day 0", "model", "est.", "beta",
                   *(f"[{window_key(w).replace(':', ',')}]" for w in windows)):
        events_table.add_column(column, justify="left" if column in ("id", "ticker", "model")
                                else "right", no_wrap=column == "id")
    for row in result.rows:
        model = row.result.model + (" *" if row.result.flagged else "")
        beta = "-" if row.result.beta is None else f"{row.result.beta:.2f}"
        events_table.add_row(
            row.aligned.event.id, row.aligned.ticker, f"{row.aligned.day0:%Y-%m-%d}", model,
            str(row.result.estimation_sessions), beta,
            *(percent(row.cars[window]) for window in windows),
        )
    console.print(events_table)
    for item, reason in result.skipped:
        console.print(f"skipped {item.event.id} ({item.ticker}): {reason}",
                      soft_wrap=True, markup=False)
