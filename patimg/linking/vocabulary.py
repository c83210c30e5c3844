"""Word lists and token shapes the reference-sign rules of :mod:`patimg.linking.mentions` read.

Kept apart from the rules so a reader can check (and extend) the vocabulary in one place: function words
that never end a noun phrase, nouns after which a number counts or cites (``FIG.``, ``claim``), units,
markers ("reference numeral"), and the shapes of signs (``14``, ``14a``, ``12'``, ``S1``, ``PT``).
"""

from __future__ import annotations

import re

WORDCHARS = r"[^\W_]"
CHUNK = re.compile(rf"(?:{WORDCHARS}|['’′])+(?:[.,\-–/](?:{WORDCHARS}|['’′])+)*|\S")
NUMBER_SIGN = re.compile(r"(\d{1,4})([A-Za-z]?)('{0,3})")
PREFIX_SIGN = re.compile(r"([A-Z]{1,2})(\d{1,3})([a-z]?)('{0,2})")
LETTER_SIGN = re.compile(r"[A-Z]{1,2}|[A-Z][a-z]|[a-z]")
PRIMES = str.maketrans({"’": "'", "′": "'"})
THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+")

EN_STOP = set(
    """
a an the said this that these those each every all any some no not its their his her our your such
same other another either neither both one two three four five six seven eight nine ten eleven twelve
twenty thirty forty fifty hundred thousand zero several many few more most less least much
of in on at to by for from with without within into onto upon over under above below between among
through via per about around approximately approx ca nearly almost than then as like unlike until up down
out off near along across against behind beyond during after before since while when where which who whom
whose what how why whether if and or nor but so yet also only just even still again further e.g i.e etc
is are was were be been being am has have had having do does did done can could may might must shall
should will would comprise comprises comprising comprised include includes including included contain
contains containing contained equal equals equaling exceed exceeds exceeding reach reaches reached take
takes took taken give gives giving given use uses used using show shows shown showing see seen
it they them there here thereof therein thereby wherein whereby herein al circa greater larger smaller
higher lower longer shorter wider narrower thicker thinner bigger
mentioned aforementioned above-mentioned abovementioned aforesaid described recited
""".split()
)
DE_STOP = set(
    """
der die das des dem den ein eine einer eines einem einen kein keine und oder sowie aber mit ohne von
vom zu zum zur im in an am auf aus bei beim für über unter durch gemäß nach vor hinter neben zwischen
zwei drei vier fünf sechs sieben acht neun zehn beiden beide mehrere
um bis ca etwa circa ist sind war wird werden wurde kann können soll sollen weist hat haben dieser diese
dieses jeder jede jedes welche welcher welches sich als wie auch nicht nur je pro
""".split()
)
# Words after which a number is a counter, a citation or a date, never a reference sign.
NOT_TERMS = set(
    """
fig figs figure figures drawing drawings claim claims table tables example examples formula formulae
formulas equation equations expression embodiment embodiments compound compounds method methods process
condition conditions item items case cases aspect page pages paragraph paragraphs col column columns
no nos number numbers ser serial pat patent patents publication application applications appl document
documents reference references literature version step? type types class grade generation series
sample samples run runs test tests experiment experiments day days week weeks month months year years
hour hours minute minutes second? jan feb mar apr may jun jul aug sep sept oct nov dec january february
march april june july august september october november december seq id sequence
abb abbildung abbildungen figur figuren anspruch ansprüche ansprüchen tabelle beispiel beispiele formel
nr seite spalte zeile absatz jahr ph ausführungsform ausführungsformen ausführungsbeispiel
ausführungsbeispiele de ep us wo jp gb fr cn kr dt ch
""".replace("?", "").split()
) - {"step", "second"}
# Words after which a number is a reference sign that names no term itself.
MARKERS = set(
    """
numeral numerals sign signs character characters designated denoted indicated labeled labelled numbered
referenced identified bezugszeichen bezugsziffer bezugsziffern
""".split()
)
MARKER_LINKS = {"by", "at", "as", "with", "generally", "mit", "durch"}
LIST_LINKS = {",", ";", "/", "&", "and", "or", "und", "oder", "bzw"}
RANGE_LINKS = {"-", "–", "to", "bis", "through"}
UNITS = set(
    """
mm cm dm m km µm μm um nm pm in inch inches ft feet foot yd mil mils % ‰ ° °c °f °k deg degree degrees
rad g kg mg µg μg ng t lb lbs oz ml l µl μl dl cl s sec secs second seconds ms µs μs ns min mins minute
minutes h hr hrs hour hours d day days week weeks month months year years yr hz khz mhz ghz v mv kv
a ma µa μa w mw kw gw wh kwh mwh j kj mj cal kcal n kn mn nm pa kpa mpa gpa bar mbar psi atm torr rpm
dpi ppi ppm ppb wt vol mol mmol µmol μmol m2 m3 mm2 mm3 cm2 cm3 db dba lm lx cd ω ohm ohms kω mω bit
bits byte bytes kb mb gb tb px pixel pixels times fold x k mesh gauge awg sekunde sekunden minute
minuten stunde stunden tage watt volt ampere grad prozent liter gramm mls kgs liters litres pass passes
cycle cycles × ″ " '' well wells
""".split()
)
NOT_LETTER_SIGNS = set(
    """
NO YES OK ON OFF OR AND IF IS IT IN AT TO OF BY AN AS BE DO GO ID IC PC AC DC TV UV IR RF OS UI IP CD
PH US EP WO JP DE GB FR CN KR EU In At On As An It Is If To By Or No So Do Be We He Up Us My Of Mr Dr
St Co Nr II IV VI IX XI XX CO2 NO2 SO2 SO3 NH3 CH4 H2 O2 N2 O3
""".split()
)
LY_NOUNS = {
    "assembly",
    "subassembly",
    "supply",
    "family",
    "trolley",
    "pulley",
    "valley",
    "alley",
    "belly",
    "dolly",
    "anomaly",
    "monopoly",
    "gully",
    "volley",
    "rally",
    "ply",
    "reply",
    "jelly",
    "fly",
}
SINGULAR_KEEP = {
    "axis",
    "gas",
    "lens",
    "chassis",
    "series",
    "species",
    "apparatus",
    "means",
    "status",
    "bus",
    "plus",
    "bellows",
    "glass",
    "mass",
    "pass",
    "boss",
    "press",
    "process",
    "access",
    "class",
    "cross",
    "radius",
    "nucleus",
    "stimulus",
    "analysis",
    "basis",
    "thesis",
}


DE_HINTS = set(
    """
der die das und ist mit von den dem des ein eine einer eines einem wird werden sind zeigt dieses diese
aus für auf sich nicht oder bei zur zum im wobei durch über
""".split()
)


VALUE_MARKS = {"+", "-", "−", "±", "~", "≈", "<", ">", "=", "≤", "≥", "×", "*", "#", "$", "€"}
CHEMISTRY_PREFIXES = {"C", "H", "N", "O"}
# After "element a" these follow; after the article "a" a noun or adjective does.
LETTER_FOLLOWERS = {"of", "and", "or", "to", "is", "are", "in", "on", "at", "with", "as", "has", "by", "for"}
# Nouns a capital letter qualifies rather than labels: "T cell", "X direction", "U shape", "V groove".
LETTER_MODIFIED = {
    "cell",
    "cells",
    "chain",
    "chains",
    "direction",
    "directions",
    "axis",
    "axes",
    "shape",
    "shaped",
    "type",
    "types",
    "groove",
    "grooves",
    "phase",
    "band",
    "bands",
    "ray",
    "rays",
    "wave",
    "waves",
}
