"""Check the built documentation site (run by ``make test`` after mkdocs).

``mkdocs build --strict`` catches broken links and docstring warnings; this
catches what builds cleanly but renders wrong:

- a ``>>>`` line rendered as a quote (a docstring example section the parser
  did not recognise: Markdown reads ``>>>`` as three nested blockquotes);
- an example section without a code block;
- an API page that rendered no members (a wrong ``:::`` path).

Usage: ``python tests/check_site.py build/site``; exits 1 with a list of
problems.
"""

import os
import re
import sys


def problems(site):
    found = []
    api = os.path.join(site, "api")
    for directory, _, files in os.walk(site):
        for name in files:
            if not name.endswith(".html"):
                continue
            path = os.path.join(directory, name)
            with open(path, encoding="utf-8") as handle:
                html = handle.read()
            where = os.path.relpath(path, site)
            if re.search(r"<blockquote>\s*<blockquote>", html):
                found.append(
                    f"{where}: nested blockquote (a '>>>' example read as quotes)"
                )
            if "&gt;&gt;&gt;" in html and "<code" not in html:
                found.append(f"{where}: '>>>' outside a code block")
            if directory.startswith(api) and 'class="doc doc-object' not in html:
                found.append(f"{where}: an API page without documented objects")
    return found


def main(argv):
    site = argv[1] if len(argv) > 1 else "build/site"
    if not os.path.isdir(site):
        print(f"check_site: no site at {site!r}; run mkdocs build first")
        return 1
    found = problems(site)
    for problem in found:
        print(f"check_site: {problem}")
    if not found:
        print(
            f"check_site: {site} looks right (no quoted examples, every API page filled)"
        )
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
