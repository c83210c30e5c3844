"""Link the reference signs read on a figure to the description sentences that use them (see the package)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from patimg.errors import BadInputError
from patimg.linking.mentions import find_sign_mentions, is_german_text
from patimg.linking.vocabulary import PRIMES
from patimg.types import Sentence, SignLink


@dataclass(frozen=True)
class MentionIndex:
    """Where each reference sign of one patent's text is used, built once and queried per figure.

    Attributes:
        sentence_indexes: Sign as written in the text -> indexes (``Sentence.index``) of the sentences
            using it, ascending.
        terms: Sign -> the term it names most often (``""`` when it never follows a noun).
        folded: Case- and prime-folded sign -> the text's spellings of it (``"8a"`` -> ``("8A",)``).
        step_sentences: Step number -> sentences writing "step <n>" (for flowchart signs ``S<n>``).
    """

    sentence_indexes: dict[str, tuple[int, ...]]
    terms: dict[str, str]
    folded: dict[str, tuple[str, ...]]
    step_sentences: dict[str, tuple[int, ...]]

    def __len__(self) -> int:
        return len(self.sentence_indexes)


def _fold(sign: str) -> str:
    return sign.translate(PRIMES).replace("'", "").casefold()


def _guess_language(sentences: Sequence[Sentence]) -> str:
    sample = " ".join(s.text for s in sentences[:40])
    return "de" if is_german_text(sample) else "en"


def build_mention_index(
    sentences: Sequence[Sentence],
    *,
    language: str | None = None,
    sections: Collection[str] | None = None,
) -> MentionIndex:
    """Index the reference signs of one patent's sentences.

    Args:
        sentences: The patent's sentences.
        language: ``"en"`` or ``"de"``; guessed from the text when ``None``.
        sections: Only sentences of these sections (``"description"``, ``"drawings"``, ``"claims"``);
            all when ``None``. EP claims carry signs in parentheses ("a hub (14)"), so they link too.

    Raises:
        BadInputError: An item is not a :class:`~patimg.types.Sentence`.
    """
    for sentence in sentences:
        if not isinstance(sentence, Sentence):
            raise BadInputError("sentences", f"expected Sentence records, got {type(sentence).__name__}")
    language = language or _guess_language(sentences)
    where: dict[str, set[int]] = defaultdict(set)
    term_counts: dict[str, Counter[str]] = defaultdict(Counter)
    steps: dict[str, set[int]] = defaultdict(set)
    for sentence in sentences:
        if sections is not None and sentence.section not in sections:
            continue
        for mention in find_sign_mentions(sentence.text, language=language):
            where[mention.sign].add(sentence.index)
            if mention.term:
                term_counts[mention.sign][mention.term] += 1
            if mention.sign.isdigit() and mention.term.endswith(("step", "schritt")):
                steps[mention.sign].add(sentence.index)
    folded: dict[str, list[str]] = defaultdict(list)
    for sign in sorted(where):
        folded[_fold(sign)].append(sign)
    return MentionIndex(
        sentence_indexes={sign: tuple(sorted(found)) for sign, found in where.items()},
        terms={sign: (term_counts[sign].most_common(1)[0][0] if term_counts[sign] else "") for sign in where},
        folded={key: tuple(signs) for key, signs in folded.items()},
        step_sentences={number: tuple(sorted(found)) for number, found in steps.items()},
    )


def sign_terms(sentences: Sequence[Sentence]) -> dict[str, str]:
    """Per reference sign of a patent's text, the term it names most often (``""`` if none)."""
    return dict(build_mention_index(sentences).terms)


def _text_signs_for(sign: str, index: MentionIndex) -> list[str]:
    """The text's signs a figure's sign stands for (matching rules 1-3 of the module docstring)."""
    if sign in index.sentence_indexes:
        return [sign]
    by_case = [s for s in index.folded.get(_fold(sign), ()) if s.casefold() == sign.casefold()]
    if by_case:
        return by_case
    if _fold(sign) in index.folded:
        return list(index.folded[_fold(sign)])
    if sign.isdigit():
        return [s for s in index.sentence_indexes if re.fullmatch(rf"{sign}[a-z]", s)]
    return []


_CACHE: list[tuple[Sequence[Sentence], MentionIndex]] = []


def link_numerals_to_sentences(
    *,
    figure_id: str,
    signs: Sequence[str],
    sentences: Sequence[Sentence],
    index: MentionIndex | None = None,
) -> list[SignLink]:
    """Link each reference sign read on a figure to the sentences of its patent that use it.

    Args:
        figure_id: The figure the signs were read on.
        signs: Signs as OCR normalised them (``"14a"``, ``"12'"``, ``"S1"``); duplicates are merged.
        sentences: All sentences of the figure's patent.
        index: A prebuilt :func:`build_mention_index` of ``sentences``; built (and kept for the next call
            with the same sentences object) when ``None``.

    Returns:
        One :class:`SignLink` per distinct sign, in first-seen order; a sign no sentence uses is kept
        with empty ``sentence_indexes``.

    Raises:
        BadInputError: ``figure_id`` or a sign is empty.
    """
    if not figure_id:
        raise BadInputError("figure_id", "empty figure id")
    if index is None:
        if _CACHE and _CACHE[0][0] is sentences:
            index = _CACHE[0][1]
        else:
            index = build_mention_index(sentences)
            _CACHE[:] = [(sentences, index)]
    links = []
    for sign in dict.fromkeys(_clean(s, figure_id) for s in signs):
        text_signs = _text_signs_for(sign, index)
        found: set[int] = set()
        terms: Counter[str] = Counter()
        for text_sign in text_signs:
            found.update(index.sentence_indexes[text_sign])
            if index.terms.get(text_sign):
                terms[index.terms[text_sign]] += len(index.sentence_indexes[text_sign])
        step = re.fullmatch(r"S(\d+)", sign)
        if step and step[1] in index.step_sentences:
            found.update(index.step_sentences[step[1]])
            if not terms:
                terms["step"] = 1
        term = terms.most_common(1)[0][0] if terms else ""
        links.append(
            SignLink(figure_id=figure_id, sign=sign, term=term, sentence_indexes=tuple(sorted(found)))
        )
    return links


def _clean(sign: str, figure_id: str) -> str:
    if not isinstance(sign, str) or not sign.strip():
        raise BadInputError(figure_id, f"empty or non-text reference sign {sign!r}")
    return sign.strip().translate(PRIMES)
