"""Headless Chromium (Debian's package at /usr/bin/chromium, installed by `make test` through
.ci/install-chromium) for the report's layout tests: measure tables at a window width, print to PDF.

No Playwright: Chromium's own command line does both. Measurements are written into the page by a
small script the test inserts into a *copy* of the report (the report itself has no scripts), and
read back with ``--dump-dom``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("SIFSIM_CHROMIUM", "/usr/bin/chromium"))
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--hide-scrollbars", "--disable-extensions", "--mute-audio"]
TIMEOUT_S = 90

# Inserted before </body>: for the window and every table, where it ends and how wide its content is.
MEASURE = """<script>
(function(){
  var out = {inner: window.innerWidth, doc: document.documentElement.scrollWidth, tables: []};
  document.querySelectorAll('table').forEach(function(t, i){
    var r = t.getBoundingClientRect(), p = t.parentElement.getBoundingClientRect();
    out.tables.push({id: t.id || ('table-' + i), section: (t.closest('section') || {}).id || '',
                     right: r.right, container_right: p.right, scroll: t.scrollWidth, client: t.clientWidth});
  });
  var pre = document.createElement('pre'); pre.id = 'sifsim-measure';
  pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
})();
</script>"""


def chromium() -> Path:
    """The browser, or skip with the reason (only where it cannot be installed)."""
    if not (CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"{CHROMIUM} is missing: `make test` installs Debian's chromium with .ci/install-chromium "
                    f"when run as root with apt-get; on this machine it could not")
    return CHROMIUM


def _run(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    cmd = [str(chromium()), *FLAGS, f"--user-data-dir={profile}", *args]
    env = {**os.environ, "HOME": str(profile)}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, env=env, check=False)


def with_insert(html_path: Path, target: Path, *, head: str = "", body_end: str = "") -> Path:
    """A copy of ``html_path`` with ``head`` before </head> and ``body_end`` before </body>."""
    text = html_path.read_text(encoding="utf-8")
    text = text.replace("</head>", head + "</head>", 1).replace("</body>", body_end + "</body>", 1)
    target.write_text(text, encoding="utf-8")
    return target


def measure(html_path: Path, width_px: int, work: Path) -> dict:
    """The table measurements of ``html_path`` rendered in a window ``width_px`` wide."""
    page = with_insert(html_path, work / f"measure_{width_px}.html", body_end=MEASURE)
    done = _run([f"--window-size={width_px},900", "--dump-dom", page.as_uri()], work / f"profile_{width_px}")
    found = re.search(r'<pre id="sifsim-measure">(.*?)</pre>', done.stdout, re.S)
    assert found, f"chromium wrote no measurements (exit {done.returncode}): {done.stderr[-800:]}"
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))


def print_pdf(html_path: Path, pdf_path: Path, work: Path) -> Path:
    """``html_path`` printed to PDF by Chromium (its print CSS, A4, no header or footer)."""
    done = _run(["--no-pdf-header-footer", f"--print-to-pdf={pdf_path}", html_path.as_uri()],
                work / f"profile_{pdf_path.stem}")
    assert pdf_path.exists() and pdf_path.stat().st_size > 0, \
        f"chromium printed no PDF (exit {done.returncode}): {done.stderr[-800:]}"
    return pdf_path


def cleanup(work: Path) -> None:
    shutil.rmtree(work, ignore_errors=True)
