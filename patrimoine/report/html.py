"""Pieces shared by the pages: escaping, the inline style sheet, atomic writes.

The pages must open from a file, offline, on an intranet: no external URL, no script.
"""

from __future__ import annotations

import base64
import contextlib
import os
import tempfile
from html import escape
from pathlib import Path

STYLE = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
  color: #1e1e1e; background: #f6f6f6; line-height: 1.45; }
header, main, footer { max-width: 72rem; margin: 0 auto; padding: 1rem 1.5rem; }
header { border-bottom: 4px solid #000091; background: #fff; }
h1 { margin: .2rem 0; font-size: 1.7rem; }
h2 { margin-top: 0; font-size: 1.3rem; }
h3 { font-size: 1.05rem; margin: 1rem 0 .4rem; }
section.jeu { background: #fff; border: 1px solid #ddd; border-radius: 6px;
  padding: 1rem 1.2rem; margin: 1rem 0; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { border: 1px solid #ddd; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #eef; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.statut { display: inline-block; padding: .05rem .5rem; border-radius: 1rem; font-weight: 600;
  border: 2px solid currentColor; }
.updated { color: #18753c; } .unchanged { color: #3a3a3a; } .held { color: #b34000; }
.failed, .interrupted { color: #ce0500; } .dry-run, .skipped, .unconfigured { color: #6a6af4; }
.simulation { background: #fff3cd; border: 2px dashed #b34000; padding: .6rem 1rem;
  font-weight: 600; }
.erreur { color: #ce0500; }
img.carte, img.graphique { max-width: 100%; height: auto; border: 1px solid #ddd;
  margin: .3rem 0; background: #fff; }
ul.liens { padding-left: 1.2rem; }
code { font-size: .9em; }
.discret { color: #555; font-size: .9rem; }
"""


def e(value: object) -> str:
    """Escaped text (None reads as an em dash)."""
    return "—" if value is None else escape(str(value), quote=True)


def page(title: str, body: str) -> str:
    """A complete French page with the inline style sheet."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{e(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"{body}\n</body>\n</html>\n"
    )


def data_uri(path: Path) -> str:
    """A PNG as a ``data:`` URI, so the page carries its pictures with it."""
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def write_if_changed(path: Path, content: bytes) -> bool:
    """Replace ``path`` atomically, only when its bytes change; True when written.

    An unchanged night must leave the file (and its modification time) alone.
    """
    try:
        if path.read_bytes() == content:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return True
