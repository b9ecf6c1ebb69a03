"""The pieces of a self-contained HTML page: no scripts, fonts or links; charts embedded as PNG."""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

CSS = """
body{font-family:Georgia,'Times New Roman',serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#111;
line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;border-bottom:1px solid #bbb;margin-top:2rem}
h3{font-size:1.05rem}
.sub{color:#444;margin-top:0}
table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem;max-width:100%}
th,td{border-bottom:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top;overflow-wrap:break-word}
td.num,th.num{text-align:right}
td.num{white-space:nowrap}
.band{display:block;font-size:.8em;color:#444;white-space:nowrap}
.note{font-size:.85rem;color:#444}
.one-page .decision{font-size:1.05rem}
.one-page h2{margin-top:1rem}
table.headline th{font-weight:normal}
table.key-figures{width:100%;font-size:.85rem}
table.key-figures th{font-size:.8rem;font-weight:bold;vertical-align:bottom;overflow-wrap:normal;hyphens:manual}
table.key-figures td.num{white-space:normal}
table.key-figures th,table.key-figures td{padding:.2rem .3rem}
.caveats li{margin-bottom:.2rem}
.reproduce code{overflow-wrap:anywhere}
.appendix table{width:100%;table-layout:fixed;font-size:.8rem}
.appendix td{overflow-wrap:anywhere}
.appendix th:nth-child(1){width:24%}.appendix th:nth-child(2){width:16%}.appendix th:nth-child(3){width:11%}
.appendix th:nth-child(4){width:8%}
figure{margin:1rem 0;break-inside:avoid}
figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.9rem;color:#333;max-width:40rem}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(22rem,1fr));gap:1rem}
.changed{color:#a00}
@page{size:A4;margin:11mm 12mm 11mm 12mm}
@media print{
body{max-width:none;margin:0;padding:0;font-size:9pt;line-height:1.3}
.one-page{font-size:8.5pt;line-height:1.25}
.one-page h1{font-size:14pt;margin:0 0 .1rem}.one-page h2{font-size:10.5pt;margin:.6rem 0 .2rem}
h1{font-size:15pt}h2{font-size:11.5pt;margin-top:1rem;break-after:avoid}h3{font-size:10pt;break-after:avoid}
.one-page{break-after:page}
.one-page .decision{font-size:10pt}
.one-page p,.one-page li{margin:.25rem 0}
.one-page table{margin:.3rem 0}
table{width:100%;font-size:8pt}
thead{display:table-header-group}
tr,li,figure{break-inside:avoid}
.charts{display:grid;grid-template-columns:1fr 1fr;gap:.5rem}
figure img{max-height:120mm;width:auto}
figcaption{font-size:8pt}
.appendix{break-before:page}
.appendix table{font-size:7pt}
}
"""


def esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def table_html(header: list[str], rows: list[list[str]], numeric: set[int] | None = None,
               row_attrs: list[str] | None = None, raw: bool = False) -> str:
    """A table; ``numeric`` columns right-aligned; ``raw``: the cells are HTML already."""
    numeric = numeric or set()
    out = ["<table>", "<thead><tr>"]
    out += [f'<th{" class=\"num\"" if i in numeric else ""}>{esc(h)}</th>' for i, h in enumerate(header)]
    out.append("</tr></thead>")
    out.append("<tbody>")
    for k, row in enumerate(rows):
        attrs = f" {row_attrs[k]}" if row_attrs else ""
        cells = "".join(f'<td{" class=\"num\"" if i in numeric else ""}>{c if raw else esc(c)}</td>'
                        for i, c in enumerate(row))
        out.append(f"<tr{attrs}>{cells}</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def figure_html(png: Path, stem: str, caption: str) -> str:
    """A chart embedded as base64 PNG, with its caption."""
    data = base64.b64encode(Path(png).read_bytes()).decode("ascii")
    return (f'<figure id="chart-{esc(stem)}"><img src="data:image/png;base64,{data}" alt="{esc(caption)}">'
            f"<figcaption>{esc(caption)}</figcaption></figure>")


def page(language: str, title: str, body: list[str]) -> bytes:
    """The whole document, UTF-8."""
    text = "\n".join([
        "<!DOCTYPE html>",
        f'<html lang="{esc(language)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        *body,
        "</body>",
        "</html>",
        "",
    ])
    return text.encode("utf-8")
