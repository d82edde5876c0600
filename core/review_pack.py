"""The review pack: a frozen review as a PDF or PowerPoint document to hand out.

Everything printed comes from the review's frozen snapshot (``core.store.reviews``), formatted
as the app formats it, so the pack's numbers are the review's to the digit; the charts are the
app's own Altair specs (``core.charts``) rendered to images offline by vl-convert. Money is
written in the reporting currency the snapshot was frozen in (:attr:`PackContent.currency`).
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import altair as alt
import pandas as pd
import vl_convert
from fpdf import FPDF
from pptx import Presentation
from pptx.util import Inches, Pt

from core import charts
from core.formatting import (
    DEFAULT_CURRENCY,
    currency_symbol,
    currency_unit,
    format_day,
    format_metric,
    format_money,
    format_money_exact,
)

PACK_FORMATS = (".pdf", ".pptx")
FONT_FILES = {
    "": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "B": "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
}
_LATIN1_SUBSTITUTES = {"–": "-", "—": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "…": "...",
                       "→": "->", "·": "-", "−": "-", "≥": ">=", "≤": "<="}  # fmt: skip
STATUS_WORDS = {"green": "On track", "amber": "At risk", "red": "Off track",
                "not_started": "Not started", "no_data": "No data"}  # fmt: skip


@dataclass(frozen=True)
class PackContent:
    """What a pack shows: the frozen snapshot, and the review's notes and decisions.

    ``store_currency`` is the store's reporting currency, for a snapshot frozen before
    snapshots recorded theirs.
    """

    review_id: int
    review_date: date
    started_by: str
    snapshot: Mapping[str, object]
    notes: Sequence[Mapping[str, object]]
    decisions: Sequence[Mapping[str, object]]
    store_currency: str = DEFAULT_CURRENCY

    @property
    def currency(self) -> str:
        """The currency the snapshot's amounts are in: as frozen, else the store's."""
        return str(self.snapshot.get("currency") or self.store_currency)


def _day(text: object) -> str:
    return format_day(date.fromisoformat(str(text)[:10])) if text else "n/a"


def _share(value: object, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{float(value):.{digits}%}"  # type: ignore[arg-type]


def _multiple(value: object) -> str:
    return "n/a" if value is None else f"{float(value):.1f}x"  # type: ignore[arg-type]


def _money(value: object, currency: str) -> str:
    return format_money(None if value is None else float(value), currency)  # type: ignore[arg-type]


# -- Sections: (title, lines of text, tables, charts) --------------------------------------------


@dataclass(frozen=True)
class Section:
    title: str
    lines: tuple[str, ...] = ()
    tables: tuple[tuple[tuple[str, ...], tuple[tuple[str, ...], ...]], ...] = ()
    charts: tuple[alt.TopLevelMixin, ...] = ()


def _goal_status(goal: Mapping[str, object]) -> str:
    """The status, with the status as reported beside it when the goal's metric was redefined
    since its period began ("On track (restated v2; as reported v1: Off track)")."""
    status = STATUS_WORDS.get(str(goal.get("status")), str(goal.get("status")))
    reported, now = goal.get("reported_version"), goal.get("definition_version")
    if not isinstance(reported, (int, float)) or math.isnan(reported):
        return status
    was = STATUS_WORDS.get(str(goal.get("reported_status")), str(goal.get("reported_status")))
    restated = f"v{int(now)}" if isinstance(now, (int, float)) else "now"
    return f"{status} (restated {restated}; as reported v{int(reported)}: {was})"


def _headline_section(snapshot: Mapping[str, object], currency: str) -> Section:
    rows = []
    for row in snapshot.get("headlines", []):  # type: ignore[union-attr]
        value, before = row["value"], row["last_year"]
        change = (value - before) / abs(before) if before else None
        rows.append(
            (
                str(row["label"]),
                format_metric(value, str(row["unit"]), currency=currency),
                format_metric(before, str(row["unit"]), currency=currency),
                "n/a" if change is None else f"{change:+.1%}",
                str(row["reference"]),
            )
        )
    goals = [
        (
            "  " * int(goal.get("depth") or 0) + str(goal["name"]),
            format_metric(goal.get("target"), str(goal["unit"]), currency=currency),
            format_metric(goal.get("actual"), str(goal["unit"]), currency=currency),
            format_metric(goal.get("projection"), str(goal["unit"]), currency=currency),
            _goal_status(goal),
        )
        for goal in snapshot.get("goals", [])  # type: ignore[union-attr]
    ]
    return Section(
        "Scorecard",
        (f"{snapshot['period']} to {_day(snapshot['to_date'])}, against the same days last year.",),
        (
            (("Measure", "Value", "Last year", "Change", "Definition"), tuple(rows)),
            (("Goal", "Target", "Actual", "Projection", "Status"), tuple(goals)),
        ),
    )


def _revenue_section(snapshot: Mapping[str, object], currency: str) -> Section:
    revenue = snapshot.get("revenue", {})
    quarters = revenue.get("quarters", [])  # type: ignore[union-attr]

    def outflow(amount: float) -> str:
        return _money(-amount if amount else 0.0, currency)

    rows = tuple(
        (
            str(row["period"]),
            _money(row["start_arr_usd"], currency),
            _money(row["new_usd"], currency),
            _money(row["reactivation_usd"], currency),
            _money(row["expansion_usd"], currency),
            outflow(row["contraction_usd"]),
            outflow(row["churn_usd"]),
            _money(row["end_arr_usd"], currency),
        )
        for row in quarters
    )
    arr = _money(revenue.get("arr"), currency)  # type: ignore[union-attr]
    lines = (
        # Reviews frozen before the label was kept said "at the end of" every month.
        f"{revenue.get('label') or 'ARR at the end of ' + str(revenue.get('month', 'n/a'))}: "  # type: ignore[union-attr]
        f"{arr}; "
        f"NRR {_share(revenue.get('nrr'))}, GRR {_share(revenue.get('grr'))} (trailing 12 "  # type: ignore[union-attr]
        "months).",
    )
    found = []
    arr = pd.DataFrame(snapshot.get("charts", {}).get("arr", []))  # type: ignore[union-attr]
    if not arr.empty:
        arr["month"] = pd.to_datetime(arr["month"])
        found.append(charts.arr_trend(arr, currency=currency).properties(width=640, height=240))
    if quarters:
        latest = quarters[-1]
        steps = pd.DataFrame(
            [
                {"label": "Start", "amount_usd": latest["start_arr_usd"], "is_total": True},
                {"label": "New", "amount_usd": latest["new_usd"], "is_total": False},
                {"label": "Reactivation", "amount_usd": latest["reactivation_usd"],
                 "is_total": False},
                {"label": "Expansion", "amount_usd": latest["expansion_usd"], "is_total": False},
                {"label": "Contraction", "amount_usd": -latest["contraction_usd"],
                 "is_total": False},
                {"label": "Churn", "amount_usd": -latest["churn_usd"], "is_total": False},
                {"label": "End", "amount_usd": latest["end_arr_usd"], "is_total": True},
            ]
        )  # fmt: skip
        title = f"ARR bridge, {latest['period']}"
        found.append(
            charts.waterfall(steps, title, from_zero=False, currency=currency).properties(width=640)
        )
    header = ("Quarter", "Start", "New", "Reactivation", "Expansion", "Contraction", "Churn",
              "End")  # fmt: skip
    return Section("Revenue", lines, ((header, rows),) if rows else (), tuple(found))


def _pipeline_section(snapshot: Mapping[str, object], currency: str) -> Section:
    pipeline = snapshot.get("pipeline", {})
    rows = tuple(
        (
            str(row["period"]),
            _multiple(row["coverage"]),
            _multiple(row["required"]),
            str(row["status"] or "n/a"),
            _money(row["open_pipeline"], currency),
            _money(row["target"], currency),
            _money(row["won_to_date"], currency),
            str(row["reason"] or ""),
        )
        for row in pipeline.get("coverage", [])  # type: ignore[union-attr]
    )
    flow = pipeline.get("waterfall", {})  # type: ignore[union-attr]
    lines = []
    found = []
    if flow.get("steps"):
        steps = pd.DataFrame(flow["steps"])
        found.append(
            charts.waterfall(
                steps, f"Pipeline due in {flow['period']}", currency=currency
            ).properties(width=640)
        )
        lines.append(
            " · ".join(
                f"{step['label']} {_money(abs(step['amount_usd']), currency)}"
                for step in flow["steps"]
            )
        )
    elif flow.get("reason"):
        lines.append(f"No waterfall: {flow['reason']}.")
    header = ("Quarter", "Coverage", "Required", "Status", "Open", "Target", "Won", "Note")
    return Section("Pipeline and coverage", tuple(lines), ((header, rows),), tuple(found))


def _forecast_section(snapshot: Mapping[str, object], currency: str) -> Section:
    forecasts = snapshot.get("forecasts", {})
    lines = (str(forecasts.get("sentence") or "No bookings forecast has been judged yet."),)  # type: ignore[union-attr]
    calls = tuple(
        (
            str(call["metric"]),
            str(call["period"]),
            str(call["forecaster"]),
            _money(call.get("commit"), currency),
            _money(call.get("most_likely"), currency),
            _money(call.get("best_case"), currency),
            _money(call.get("bias_adjusted"), currency),
        )
        for call in forecasts.get("current", [])  # type: ignore[union-attr]
        if call["metric"] != "mqls"
    )
    accuracy = tuple(
        (
            str(row["metric"]),
            str(row["forecaster"]),
            str(row["count"]),
            _share(row["mape"]),
            _share(row["wape"]),
            f"{float(row['bias']):+.1%}" if row["bias"] is not None else "n/a",
            _share(row["hit_rate_10"], 0),
        )
        for row in forecasts.get("accuracy", [])  # type: ignore[union-attr]
    )
    return Section(
        "Forecast accuracy",
        lines,
        (
            (
                (
                    "Metric",
                    "Period",
                    "Forecaster",
                    "Commit",
                    "Most likely",
                    "Best case",
                    "Bias-adjusted",
                ),
                calls,
            ),
            (("Metric", "Forecaster", "Periods", "MAPE", "WAPE", "Bias", "Within 10%"), accuracy),
        ),
    )


def _scenario_section(snapshot: Mapping[str, object], currency: str) -> Section:
    scenario = snapshot.get("scenario")
    if not scenario:
        return Section("Budget scenario", ("No budget scenario had been saved by this review.",))
    rows = tuple(
        (
            label,
            _money(scenario[measure]["loss"], currency),  # type: ignore[index]
            f"{_money(scenario[measure]['low'], currency)} to "  # type: ignore[index]
            f"{_money(scenario[measure]['high'], currency)}",  # type: ignore[index]
        )
        for measure, label in (
            ("pipeline", "Pipeline"),
            ("bookings", "Bookings"),
            ("new_arr", "New ARR"),
            ("revenue", "Recognised revenue"),
        )
    )
    lines = (
        f"The latest saved scenario, “{scenario['name']}” (saved by {scenario['saved_by']}):",  # type: ignore[index]
        str(scenario["sentence"]),  # type: ignore[index]
        f"Saves {_money(scenario['savings'], currency)}.",  # type: ignore[index]
    )
    return Section(
        "Budget scenario", lines, ((("Lost over 18 months", "Estimate", "Range"), rows),)
    )


def _working_section(snapshot: Mapping[str, object], currency: str) -> Section:
    working = snapshot.get("working", {})
    if not working.get("best"):  # type: ignore[union-attr]
        return Section("What's working and what isn't", ("Nothing had enough data to rank.",))

    def table(rows: Sequence[Mapping[str, object]]) -> tuple[tuple[str, ...], ...]:
        return tuple(
            (
                str(row["name"]),
                format_money_exact(float(row["pipeline_roi"]), currency, 2),  # type: ignore[arg-type]
                _money(row["spend_usd"], currency),
                _money(row["pipeline_usd"], currency),
                _money(row["bookings_usd"], currency),
            )
            for row in rows
        )

    per = currency_symbol(currency).strip()
    header = ("Name", f"Pipeline per {per}", "Spend", "Pipeline", "Bookings")
    level = "Campaigns" if working.get("level") == "campaign" else "Channels"  # type: ignore[union-attr]
    return Section(
        "What's working and what isn't",
        (
            f"{level} in {working['period']}, {working['model']} attribution, by pipeline "  # type: ignore[index]
            f"per {currency_unit(currency)}.",
        ),
        (
            (("Working best", *header[1:]), table(working["best"])),  # type: ignore[index,arg-type]
            (("Working least", *header[1:]), table(working["worst"])),  # type: ignore[index,arg-type]
        ),
    )


def _commentary_section(content: PackContent) -> Section:
    lines = tuple(
        f"{note['author']} ({_day(note['written_at'])}): {note['note']}" for note in content.notes
    ) or ("No commentary was written on this review.",)
    rows = tuple(
        (
            str(item["decision"]),
            str(item["owner"]),
            _day(item["due_date"]) if item.get("due_date") else "",
            str(item["status"]),
        )
        for item in content.decisions
    )
    tables = ((("Decision", "Owner", "Due", "Status"), rows),) if rows else ()
    return Section("Commentary and decisions", lines, tables)


def _definitions_section(snapshot: Mapping[str, object]) -> Section:
    rows = tuple(
        (str(item["label"]), f"v{item['version']}", str(item["description"]))
        for item in snapshot.get("definitions", {}).values()  # type: ignore[union-attr]
    )
    return Section(
        "Appendix: metric definitions",
        ("Every number in this pack follows the definition version listed here.",),
        ((("Metric", "Version", "What it counts"), rows),),
    )


def sections(content: PackContent) -> list[Section]:
    """The pack's sections in order, after the title page."""
    snapshot, currency = content.snapshot, content.currency
    return [
        _headline_section(snapshot, currency),
        _revenue_section(snapshot, currency),
        _pipeline_section(snapshot, currency),
        _forecast_section(snapshot, currency),
        _scenario_section(snapshot, currency),
        _working_section(snapshot, currency),
        _commentary_section(content),
        _definitions_section(snapshot),
    ]


def chart_png(chart: alt.TopLevelMixin, scale: float = 2.0) -> bytes:
    """An Altair chart as PNG, rendered offline from its Vega-Lite spec."""
    return vl_convert.vegalite_to_png(chart.to_json(), scale=scale)


# -- PDF --------------------------------------------------------------------------------------


class _Pdf(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.footer_text = footer_text
        self.unicode = all(Path(path).exists() for path in FONT_FILES.values())
        if self.unicode:
            for style, path in FONT_FILES.items():
                self.add_font("DejaVu", style, path)
        self.family = "DejaVu" if self.unicode else "Helvetica"
        self.set_auto_page_break(auto=True, margin=14)

    def text_of(self, text: str) -> str:
        if self.unicode:
            return text
        for char, substitute in _LATIN1_SUBSTITUTES.items():
            text = text.replace(char, substitute)
        return text.encode("latin-1", "replace").decode("latin-1")

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(self.family, "", 8)
        self.set_text_color(120, 120, 120)
        self.cell(0, 5, self.text_of(f"{self.footer_text} · page {self.page_no()}"), align="R")
        self.set_text_color(0, 0, 0)


def pack_pdf(content: PackContent) -> bytes:
    """The review pack as PDF bytes."""
    snapshot = content.snapshot
    company = str(snapshot.get("company", ""))
    pdf = _Pdf(f"{company} · marketing review of {format_day(content.review_date)}")
    pdf.add_page()
    pdf.set_font(pdf.family, "B", 28)
    pdf.ln(45)
    pdf.cell(0, 14, pdf.text_of(f"Marketing review · {company}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.family, "", 16)
    pdf.cell(0, 10, pdf.text_of(f"Review of {format_day(content.review_date)}"),
             new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.set_font(pdf.family, "", 12)
    for line in (
        f"{snapshot['period']} to {_day(snapshot['to_date'])} · data through "
        f"{_day(snapshot['data_through'])}",
        f"Numbers frozen when {content.started_by} started the review "
        f"(review {content.review_id}); amounts in {content.currency}.",
    ):
        pdf.cell(0, 8, pdf.text_of(line), new_x="LMARGIN", new_y="NEXT")
    for section in sections(content):
        pdf.add_page()
        pdf.set_font(pdf.family, "B", 18)
        pdf.cell(0, 11, pdf.text_of(section.title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(pdf.family, "", 10)
        for line in section.lines:
            pdf.multi_cell(0, 5.5, pdf.text_of(line), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        for header, rows in section.tables:
            if not rows:
                continue
            pdf.set_font(pdf.family, "", 8)
            with pdf.table(text_align="LEFT", line_height=4.6, first_row_as_headings=True) as table:
                table.row([pdf.text_of(cell) for cell in header])
                for row in rows:
                    table.row([pdf.text_of(cell) for cell in row])
            pdf.ln(3)
        for chart in section.charts:
            image = io.BytesIO(chart_png(chart))
            if pdf.get_y() > 120:
                pdf.add_page()
            pdf.image(image, w=200)
            pdf.ln(2)
    return bytes(pdf.output())


# -- PowerPoint -------------------------------------------------------------------------------


def pack_pptx(content: PackContent) -> bytes:
    """The review pack as a PowerPoint deck (one slide per section, charts as pictures)."""
    snapshot = content.snapshot
    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(13.333), Inches(7.5)
    title = deck.slides.add_slide(deck.slide_layouts[0])
    title.shapes.title.text = f"Marketing review · {snapshot.get('company', '')}"
    title.placeholders[1].text = (
        f"Review of {format_day(content.review_date)} · {snapshot['period']} to "
        f"{_day(snapshot['to_date'])} · frozen by {content.started_by} · amounts in "
        f"{content.currency}"
    )
    for section in sections(content):
        slide = deck.slides.add_slide(deck.slide_layouts[5])
        slide.shapes.title.text = section.title
        top = Inches(1.3)
        if section.lines:
            box = slide.shapes.add_textbox(Inches(0.5), top, Inches(12.3), Inches(0.8))
            frame = box.text_frame
            frame.word_wrap = True
            for index, line in enumerate(section.lines):
                paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
                paragraph.text = line
                paragraph.font.size = Pt(12)
            top += Inches(0.3 + 0.3 * len(section.lines))
        for header, rows in section.tables:
            if not rows:
                continue
            shown = rows[:14]
            shape = slide.shapes.add_table(
                len(shown) + 1, len(header), Inches(0.5), top, Inches(12.3), Inches(0.3)
            )
            for column, text in enumerate(header):
                shape.table.cell(0, column).text = text
            for row_index, row in enumerate(shown, start=1):
                for column, text in enumerate(row):
                    shape.table.cell(row_index, column).text = text
            for cell in (c for r in shape.table.rows for c in r.cells):
                for paragraph in cell.text_frame.paragraphs:
                    paragraph.font.size = Pt(9)
            top += Inches(0.28 * (len(shown) + 1) + 0.2)
        for chart in section.charts:
            if top > Inches(5.2):
                slide = deck.slides.add_slide(deck.slide_layouts[5])
                slide.shapes.title.text = f"{section.title} (charts)"
                top = Inches(1.3)
            slide.shapes.add_picture(io.BytesIO(chart_png(chart)), Inches(0.8), top,
                                     height=Inches(2.6))  # fmt: skip
            top += Inches(2.8)
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def pack_bytes(content: PackContent, suffix: str) -> bytes:
    """The pack in the format the file suffix names (``.pdf`` or ``.pptx``)."""
    if suffix == ".pdf":
        return pack_pdf(content)
    if suffix == ".pptx":
        return pack_pptx(content)
    raise ValueError(f"a review pack is {' or '.join(PACK_FORMATS)}, got {suffix or 'no suffix'}")
