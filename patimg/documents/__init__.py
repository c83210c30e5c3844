"""Read patent publications (the text side): bibliography, sentences, figure captions, drawing list.

Supported, detected by the root element:

* USPTO grants v2.5 (``PATDOC``), applications v1.5 (``patent-application-publication``),
  v4.x grants (``us-patent-grant``) and applications (``us-patent-application``);
* EPO ``ep-patent-document`` (DTD v1.0 to v1.5.1).

``Patent.patent_id`` is office + number without its leading zeros + kind (``"US6530116B2"``,
``"USD907293S1"``, ``"EP1667425A1"``); ``Patent.number`` keeps the number as the office prints it
(``"06530116"``, ``"D0907293"``). XML is read by :mod:`patimg.documents.xmlsafe`: no external
entity or DTD is ever resolved and entity bombs are refused; :mod:`patimg.documents.sentences` splits the
description into sentences.
"""

from patimg.documents.parse import SUPPORTED_ROOTS, parse_publication
from patimg.documents.sentences import split_sentences

__all__ = ["SUPPORTED_ROOTS", "parse_publication", "split_sentences"]
