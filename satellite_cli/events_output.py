"""How `events list` and `events show` print: rich tables (loaded only when a command prints);
`events study` and `events suggest`: satellite_cli/study_output.py."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.table import Table

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
    for source in payload["sources"]:
        console.print(f"  source: {source}", soft_wrap=True, markup=False)
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
