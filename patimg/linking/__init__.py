"""Linking: reference signs read on a figure to the description sentences that use them.

A number in a patent's text is a *reference sign* only in a few shapes: right after the noun it names
("the hub 14", "die Nabe 14", "the elevator car (1)"), after a marker ("reference numeral 14",
"designated by 14"), continuing a list of signs ("elements 12, 14 and 16", "sections 8C,9C",
"brackets 15;16") or a range of lettered signs ("beams 14-14c", "tables Ta to Ti", "modules A-C",
which name every sign between). Everything else that looks like a number is rejected by its context:
what precedes it ("FIG. 14", "claims 1 to 14", "U.S. Pat. No. 5,123,456", "about 14", "in 2019",
"has 14 blades"), what follows it ("14 mm", "14%", "450° C") or its own form ("1.5", "14/123",
"COVID-19", "H2O2", "2 328 340"). The rule is lexical, not statistical, so it needs no model and
explains itself; its limits are written in the tests.

A list of reference signs ("1 Overhead transport vehicle 2 Frame unit ...", or one "14 Nabe" per
paragraph) is read the other way round: sign first, then its term.

Matching a sign read on a figure against the signs of the text (see :func:`link_numerals_to_sentences`):

1. the sign exactly as written in the text ("8A" matches "8A", not "8a");
2. else ignoring case ("8a" read by OCR matches the text's "8A"), then ignoring primes ("12'" read
   where the text only has "12");
3. else, for a plain number, its lettered variants ("12" drawn for the text's "12a" and "12b");
4. and always, for a step sign ``S<n>``, the sentences writing "step <n>" (flowchart steps).
"""

from patimg.linking.link import MentionIndex, build_mention_index, link_numerals_to_sentences, sign_terms
from patimg.linking.mentions import find_sign_mentions

__all__ = [
    "MentionIndex",
    "build_mention_index",
    "find_sign_mentions",
    "link_numerals_to_sentences",
    "sign_terms",
]
