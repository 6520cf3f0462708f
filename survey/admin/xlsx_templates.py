"""Blank workbooks users fill and upload."""
from __future__ import annotations

import io


from survey.admin.unit_import import HEADERS


def unit_template() -> io.BytesIO:
    from openpyxl import Workbook  # openpyxl loads here, not at start-up: ~8 MB less in every worker
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "单位"
    ws.append(list(HEADERS))
    ws.append(["区农业农村局", "政府部门", "张三", "0571-12345678"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for col, width in zip("ABCD", (28, 14, 12, 18)):
        ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return buf
