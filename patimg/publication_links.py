"""Where a publication can be read outside PatImg: Espacenet, Google Patents and, for US ones, the USPTO.

Links point *out* (a report or a page shows them as plain links; nothing is fetched from them). They are made
from the publication id alone (``"US12448402B2"``, ``"USD907293S1"``, ``"EP1667425A1"``): country, number,
kind. Espacenet is searched by country and number (``pn=EP1667425``: every kind of that publication), Google
Patents opens the publication with its kind, and the USPTO serves a US publication's PDF by its number
(``D907293`` for a design, ``20210012345`` for an application). An id of no office (a folder of images,
``FOLDER-...``; a query drawing, ``QUERY-...``) has no link.
"""

from __future__ import annotations

import re
import urllib.parse

from patimg.types import PublicationLink

# Country, number (design "D", reissue "RE", plant "PP" prefixes included), optional kind code.
_ID = re.compile(r"^([A-Z]{2})((?:D|RE|PP|H|T)?\d{1,13})([A-Z]\d?)?$")


def publication_links(patent_id: str) -> list[PublicationLink]:
    """The pages where ``patent_id`` can be read, best known first; ``[]`` when it is not an office's id.

    Example:
        >>> [link.url for link in publication_links("EP1667425A1")]
        ['https://worldwide.espacenet.com/patent/search?q=pn%3DEP1667425', 'https://patents.google.com/patent/EP1667425A1']
    """
    match = _ID.match(str(patent_id).strip().upper())
    if not match:
        return []
    country, number, kind = match.group(1), match.group(2), match.group(3) or ""
    links = [
        PublicationLink(
            "Espacenet", _url("https://worldwide.espacenet.com/patent/search?q=", f"pn={country}{number}")
        ),
        PublicationLink(
            "Google Patents", _url("https://patents.google.com/patent/", f"{country}{number}{kind}")
        ),
    ]
    if country == "US":
        pdf = "https://image-ppubs.uspto.gov/dirsearch-public/print/downloadPdf/"
        links.append(PublicationLink("USPTO", _url(pdf, number)))
    return links


def _url(base: str, part: str) -> str:
    return base + urllib.parse.quote(part, safe="")
