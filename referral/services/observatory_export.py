"""The observatory's report as files: CSV and XLSX. A suppressed cell is written as the symbol
"<5" (explained by a legend line), never as its number; the files hold nothing the page does not."""

from __future__ import annotations

import csv
import io

from flask_babel import force_locale
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from ..translation import gettext as _
from .observatory_report import Report, Row, Table

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def symbol(report: Report) -> str:
    return f"<{report.threshold}"


def _cell(report: Report, value: int | None):
    return symbol(report) if value is None else value


def _header(report: Report) -> list[list]:
    with force_locale(report.locale):
        return [
            [_("National observatory of violence against women"), report.period.code],
            [_("Governorate"), _("Whole country") if report.region is None else report.region.name(report.locale)],
            [_("Version of the form"), report.version],
            [_("Files counted"), _cell(report, report.files)],
            [_("Files not counted for lack of consent"), _cell(report, report.excluded)],
            [_("%(symbol)s: fewer than %(n)d files, or hidden so that such a count cannot be worked out.",
               symbol=symbol(report), n=report.threshold)],
        ]


def table_lines(report: Report, table: Table) -> list[list]:
    """One table as lines: its title, the header, one line per region, the national totals."""
    with force_locale(report.locale):
        head = [_("Region"), *(label for _code, label in table.columns), _("Total")]
        lines = [[table.label], head]
    rows: list[Row] = [*table.rows, *([table.totals] if table.totals else [])]
    for row in rows:
        name = row.name
        if row is table.totals:
            with force_locale(report.locale):
                name = _("Total")
        lines.append([name, *(_cell(report, v) for v in row.cells), _cell(report, row.total)])
    return lines


def to_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for line in _header(report):
        writer.writerow(line)
    for table in report.tables:
        writer.writerow([])
        writer.writerows(table_lines(report, table))
    return out.getvalue()


def to_xlsx(report: Report) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = report.period.code
    sheet.sheet_view.rightToLeft = report.locale == "ar"
    for line in _header(report):
        sheet.append(line)
    bold = Font(bold=True)
    for table in report.tables:
        sheet.append([])
        for i, line in enumerate(table_lines(report, table)):
            sheet.append(line)
            if i < 2:
                for cell in sheet[sheet.max_row]:
                    cell.font = bold
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value == symbol(report):
                cell.alignment = Alignment(horizontal="right")
    sheet.column_dimensions["A"].width = 32
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
