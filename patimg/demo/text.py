"""The words of the demo publications: parts, reference signs, titles, sentences and the USPTO-style XML."""

from __future__ import annotations

import random
from dataclasses import dataclass
from xml.sax.saxutils import escape

# Per family: part name -> (term, reference sign). The whole assembly is "100" (named in the text only).
PARTS: dict[str, dict[str, tuple[str, str]]] = {
    "fan": {
        "hub": ("hub", "102"),
        "blade": ("blade", "104"),
        "tip": ("blade tip", "104a"),
        "shaft": ("drive shaft", "106"),
        "motor": ("motor housing", "108"),
        "guard": ("guard ring", "110"),
    },
    "gear": {
        "gear": ("spur gear", "102"),
        "teeth": ("teeth", "104"),
        "bore": ("central bore", "106"),
        "pinion": ("pinion", "108"),
        "axle": ("pinion axle", "112'"),
    },
    "bottle": {
        "cap": ("closure cap", "102"),
        "neck": ("neck", "104"),
        "shoulder": ("shoulder", "106"),
        "label": ("label panel", "108"),
        "base": ("base", "110"),
    },
    "chair": {
        "seat": ("seat", "102"),
        "backrest": ("backrest", "104"),
        "leg": ("front leg", "106a"),
        "rear_leg": ("rear leg", "106b"),
        "stretcher": ("stretcher", "108"),
    },
    "lamp": {
        "base": ("weighted base", "102"),
        "arm": ("lower arm", "104"),
        "joint": ("elbow joint", "106"),
        "shade": ("shade", "108"),
        "bulb": ("light source", "110"),
    },
    "bracket": {
        "upright": ("upright plate", "102"),
        "flange": ("mounting flange", "104"),
        "gusset": ("gusset", "106"),
        "hole": ("fastener hole", "108"),
    },
}

ASSEMBLY = {
    "fan": "fan assembly",
    "gear": "gear train",
    "bottle": "container",
    "chair": "chair",
    "lamp": "lamp",
    "bracket": "bracket",
}

TITLES = {
    "fan": (
        "Axial fan with a guarded propeller",
        "Propeller fan assembly",
        "Cooling fan having swept blades",
    ),
    "gear": ("Spur gear transmission", "Gear train with a keyed gear", "Compact pinion drive"),
    "bottle": (
        "Beverage bottle with a closure cap",
        "Plastic container with a label panel",
        "Bottle with a reinforced base",
    ),
    "chair": ("Stackable chair", "Chair with an inclined backrest", "Dining chair frame"),
    "lamp": ("Articulated desk lamp", "Task lamp with an adjustable arm", "Lamp with a pivoting shade"),
    "bracket": ("Reinforced mounting bracket", "Wall bracket with a gusset", "Angle bracket for shelving"),
}

VIEWS = {
    "fan": ("front view", "side view"),
    "gear": ("front view", "side view"),
    "bottle": ("front elevation view", "front elevation view of a slimmer embodiment"),
    "chair": ("perspective view", "side view"),
    "lamp": ("side view", "side view in a raised position"),
    "bracket": ("side view", "side view of a shorter embodiment"),
}

CLASSES = {  # (IPC, CPC)
    "fan": ("F04D 29/38", "F04D 29/384"),
    "gear": ("F16H 55/17", "F16H 55/17"),
    "bottle": ("B65D 1/02", "B65D 1/0223"),
    "chair": ("A47C 7/00", "A47C 7/004"),
    "lamp": ("F21V 21/26", "F21V 21/26"),
    "bracket": ("F16M 13/02", "F16M 13/022"),
}

# Description sentences: ``{part}`` becomes "term <b>sign</b>". Each names the parts it mentions, so the
# sentences of one part can be dropped to leave its sign unlinked (as happens in real publications).
SENTENCES: dict[str, tuple[str, ...]] = {
    "fan": (
        "The {hub} carries a plurality of blades and is mounted on the {shaft}.",
        "Each {blade} extends radially outward from the {hub} and is swept against the direction of rotation.",
        "The {blade} ends in a {tip} which runs close to the {guard}.",
        "The {shaft} is driven by an electric motor held in the {motor}.",
        "The {guard} surrounds every {blade} and protects fingers from the rotating propeller.",
        "The {motor} rests on a foot so that the {shaft} stays horizontal.",
    ),
    "gear": (
        "The {gear} has a plurality of {teeth} formed on its circumference.",
        "The {teeth} of the {gear} mesh with the teeth of the {pinion}.",
        "The {gear} is keyed to a shaft received in the {bore}.",
        "The {pinion} turns on the {axle} and drives the {gear} at a reduced speed.",
        "The {axle} is supported by two bearings of the housing.",
    ),
    "bottle": (
        "The {cap} is screwed onto a thread of the {neck}.",
        "The {neck} widens into the {shoulder} which joins the cylindrical body.",
        "A {label} is wrapped around the body below the {shoulder}.",
        "The {base} is reinforced by a ring so that the container stands upright when filled.",
        "The {cap} seals the {neck} against leakage of the beverage.",
    ),
    "chair": (
        "The {seat} is supported by a {leg} at each front corner and a {rear_leg} at each rear corner.",
        "The {backrest} is inclined rearwardly from the rear edge of the {seat}.",
        "Each {rear_leg} continues upward into the frame of the {backrest}.",
        "A {stretcher} connects the {leg} to the {rear_leg} below the {seat}.",
    ),
    "lamp": (
        "The {base} carries the {arm} through a pivot.",
        "The {arm} is connected to an upper arm by the {joint}.",
        "The {shade} is pivotally attached to the end of the upper arm and houses the {bulb}.",
        "The {joint} holds the {arm} in any position by friction.",
        "The {bulb} is a light emitting diode module cooled by the {shade}.",
    ),
    "bracket": (
        "The {upright} is fastened to a wall by screws passed through each {hole}.",
        "The {flange} extends at a right angle from the lower end of the {upright}.",
        "The {gusset} joins the {upright} to the {flange} and stiffens the bracket.",
        "A shelf rests on the {flange} and is held by screws.",
    ),
}

CLAIMS = {
    "fan": "A fan assembly comprising a hub, a plurality of blades extending from the hub, and a guard ring surrounding the blades.",
    "gear": "A gear train comprising a spur gear having teeth and a central bore, and a pinion meshing with the teeth.",
    "bottle": "A container comprising a neck, a closure cap screwed onto the neck, a shoulder and a reinforced base.",
    "chair": "A chair comprising a seat, front legs, rear legs continuing into an inclined backrest, and a stretcher.",
    "lamp": "A lamp comprising a weighted base, an arm connected by an elbow joint, and a pivoting shade housing a light source.",
    "bracket": "A bracket comprising an upright plate with fastener holes, a mounting flange and a gusset joining them.",
}


def parts_in(template: str) -> list[str]:
    """Part names a sentence template mentions."""
    import re

    return re.findall(r"\{(\w+)\}", template)


@dataclass(frozen=True)
class DemoPublication:
    """What one demo publication says, before it is written as XML and drawing sheets."""

    number: str
    date: str  # YYYYMMDD
    family: str
    title: str
    applicant: str
    unlinked_part: str | None
    sheets: tuple[tuple[str, ...], ...]  # per sheet, the views drawn on it ("main", "alt", "main2")

    @property
    def stem(self) -> str:
        return f"US{self.number}-{self.date}"

    def sheet_file(self, k: int) -> str:
        return f"{self.stem}-D{k:05d}.TIF"

    def signs(self) -> dict[str, str]:
        return {part: sign for part, (_, sign) in PARTS[self.family].items()}


def _mention(family: str, part: str) -> str:
    term, sign = PARTS[family][part]
    return f"{escape(term)} <b>{escape(sign)}</b>"


def _render(family: str, template: str) -> str:
    return template.format(**{p: _mention(family, p) for p in PARTS[family]})


def figure_views(publication: DemoPublication) -> list[tuple[int, str]]:
    """(figure number, view) in figure order."""
    views = [view for sheet in publication.sheets for view in sheet]
    return list(enumerate(views, start=1))


def view_phrase(family: str, view: str) -> str:
    main, alt = VIEWS[family]
    if view == "main":
        return f"a {main} of a {ASSEMBLY[family]} according to an embodiment"
    if view == "alt":
        return f"a {alt} of the {ASSEMBLY[family]}"
    return f"a {main} of a {ASSEMBLY[family]} according to a second embodiment"


def publication_xml(publication: DemoPublication, rng: random.Random) -> str:
    """The publication as a USPTO ``us-patent-grant`` (v4.5-style) XML document."""
    family = publication.family
    ipc, cpc = CLASSES[family]
    figures = figure_views(publication)
    drop = publication.unlinked_part
    sentences = [s for s in SENTENCES[family] if drop is None or drop not in parts_in(s)]
    rng.shuffle(sentences)
    paragraphs = [
        f'<p id="p-{i:04d}" num="{i:04d}">{text}</p>'
        for i, text in enumerate(
            [
                f"The present disclosure relates to a {escape(ASSEMBLY[family])}. "
                f"This publication is synthetic: PatImg generated it as demonstration data.",
                f'Referring to <figref idref="DRAWINGS">FIG. <b>1</b></figref>, a {escape(ASSEMBLY[family])} '
                f"<b>100</b> is shown.",
                *[_render(family, s) for s in sentences],
                f'As shown in <figref idref="DRAWINGS">FIG. <b>{figures[-1][0]}</b></figref>, the second '
                f"embodiment uses like reference numerals for like parts.",
            ],
            start=2,
        )
    ]
    brief = [
        f'<p id="b-{n:04d}" num="{n:04d}"><figref idref="DRAWINGS">FIG. <b>{n}</b></figref> is '
        f"{escape(view_phrase(family, view))}.</p>"
        for n, view in figures
    ]
    drawings = "\n".join(
        f'<figure id="Fig-EMI-D{k:05d}" num="{k:05d}"><img id="EMI-D{k:05d}" he="279.40mm" wi="215.90mm" '
        f'file="{publication.sheet_file(k)}" alt="embedded image" img-content="drawing" img-format="tif"/></figure>'
        for k in range(1, len(publication.sheets) + 1)
    )

    def classification_ipcr(symbol: str) -> str:
        section, klass, subclass = symbol[0], symbol[1:3], symbol[3]
        main_group, subgroup = symbol[5:].split("/")
        return (
            f"<classification-ipcr><ipc-version-indicator><date>20060101</date></ipc-version-indicator>"
            f"<classification-level>A</classification-level><section>{section}</section><class>{klass}</class>"
            f"<subclass>{subclass}</subclass><main-group>{main_group}</main-group><subgroup>{subgroup}</subgroup>"
            f"<symbol-position>F</symbol-position><classification-value>I</classification-value>"
            f"</classification-ipcr>"
        )

    def classification_cpc(symbol: str) -> str:
        section, klass, subclass = symbol[0], symbol[1:3], symbol[3]
        main_group, subgroup = symbol[5:].split("/")
        return (
            f"<classification-cpc><cpc-version-indicator><date>20130101</date></cpc-version-indicator>"
            f"<section>{section}</section><class>{klass}</class><subclass>{subclass}</subclass>"
            f"<main-group>{main_group}</main-group><subgroup>{subgroup}</subgroup>"
            f"<symbol-position>F</symbol-position><classification-value>I</classification-value>"
            f"</classification-cpc>"
        )

    title = escape(publication.title)
    features = CLAIMS[family].split(" comprising ", 1)[-1]
    abstract = escape(
        f"A {ASSEMBLY[family]} is disclosed. It comprises {features} "
        "(Synthetic demonstration publication made by PatImg.)"
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE us-patent-grant SYSTEM "us-patent-grant-v45-2014-04-03.dtd" [ ]>
<us-patent-grant lang="EN" dtd-version="v4.5 2014-04-03" file="{publication.stem}.XML" status="PRODUCTION" id="us-patent-grant" country="US" date-produced="{publication.date}" date-publ="{publication.date}">
<us-bibliographic-data-grant>
<publication-reference><document-id><country>US</country><doc-number>{publication.number}</doc-number><kind>B2</kind><date>{publication.date}</date></document-id></publication-reference>
<application-reference appl-type="utility"><document-id><country>US</country><doc-number>1{publication.number[2:]}</doc-number><date>{publication.date[:4]}0101</date></document-id></application-reference>
<classifications-ipcr>{classification_ipcr(ipc)}</classifications-ipcr>
<classifications-cpc><main-cpc>{classification_cpc(cpc)}</main-cpc></classifications-cpc>
<invention-title id="d2e43">{title}</invention-title>
<figures><number-of-drawing-sheets>{len(publication.sheets)}</number-of-drawing-sheets><number-of-figures>{len(figures)}</number-of-figures></figures>
<us-parties><us-applicants><us-applicant sequence="001" app-type="applicant" designation="us-only"><addressbook><orgname>{escape(publication.applicant)}</orgname><address><city>Hannover</city><country>DE</country></address></addressbook></us-applicant></us-applicants></us-parties>
<assignees><assignee><addressbook><orgname>{escape(publication.applicant)}</orgname><role>03</role></addressbook></assignee></assignees>
</us-bibliographic-data-grant>
<abstract id="abstract"><p id="p-0001" num="0000">{abstract}</p></abstract>
<drawings id="DRAWINGS">
{drawings}
</drawings>
<description id="description">
<heading id="h-0001" level="1">BACKGROUND</heading>
<description-of-drawings>
<heading id="h-0002" level="1">BRIEF DESCRIPTION OF THE DRAWINGS</heading>
{chr(10).join(brief)}
</description-of-drawings>
<heading id="h-0003" level="1">DETAILED DESCRIPTION</heading>
{chr(10).join(paragraphs)}
</description>
<us-claim-statement>What is claimed is:</us-claim-statement>
<claims id="claims">
<claim id="CLM-00001" num="00001"><claim-text>1. {escape(CLAIMS[family])}</claim-text></claim>
</claims>
</us-patent-grant>
"""
