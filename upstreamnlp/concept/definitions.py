"""Definitional statements: sentences in which someone says what the concept means.

Each sentence holding an occurrence is tried against a list of general surface patterns
(regular expressions over the sentence, ``T`` standing for the concept's noun phrase:
"upstream", "upstream approaches", "thinking upstream", "the term 'upstream'"), then
checked on spaCy's dependency parse:

- the defining span X must be a definition, not an evaluation: its syntactic head may
  not be a bare adjective ("upstream is important"), a passive participle ("upstream
  action is needed"), a preposition other than about/like, or an evaluative noun
  ("the answer", "a priority");
- for "T is/means X" the concept must be the subject (walking up through compound and
  modifier relations only), or start the clause;
- questions (ending in "?" or in interrogative form) and literal uses (see
  ``concept.literal``) are left out; negation ("upstream isn't just about X") keeps the
  sentence and sets ``negated``.

The patterns follow the classic lexico-syntactic approach to definition extraction
(Hearst 1992; Westerhout 2009, "Definition extraction using linguistic and structural
features").
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from upstreamnlp.concept.lexicon import ConceptSpec, load_concept_pipeline
from upstreamnlp.concept.literal import looks_literal
from upstreamnlp.corpus.model import Corpus

DEFINITION_COLUMNS = [
    "doc_id",
    "segment_id",
    "sentence",
    "sentence_start",
    "sentence_end",
    "definiens",
    "definiens_start",
    "definiens_end",
    "pattern",
    "negated",
]
# Heads of X that evaluate rather than define ("upstream is the answer").
EVALUATIVE_HEADS = frozenset(
    """answer way key priority solution future goal aim challenge problem issue part
    lot buzzword fashion trend""".split()
)
# Adjectives that equate rather than evaluate ("upstream is synonymous with prevention").
EQUATING_ADJECTIVES = frozenset(
    "synonymous equivalent similar akin tantamount identical analogous interchangeable".split()
)
# "what upstream means", "whether upstream is": indirect questions, not definitions.
_INDIRECT = re.compile(r"\b(?:what|whether|how|if)\W*$", re.IGNORECASE)
_MODIFIER_DEPS = {"compound", "amod", "advmod", "npadvmod", "det", "nmod", "punct", "quantmod"}
_SUBJECT_DEPS = {"nsubj", "nsubjpass", "csubj", "csubjpass"}
_LEAD = (
    r"^\W*(?:(?:and|but|so|well|yeah|yes|now|i\s+think|i\s+guess|i'd\s+say|i\s+would\s+say|"
    r"for\s+me|to\s+me|for\s+(?:us|our\s+\w+|my\s+\w+|people\s+like\s+(?:me|us))|"
    r"as\s+far\s+as\s+(?:i'm|i\s+am|we're|we\s+are)\s+concerned|to\s+my\s+mind|"
    r"the\s+way\s+i\s+see\s+it|in\s+our\s+view|personally|honestly|basically|in\s+my\s+view|i\s+suppose|i\s+believe|"
    r"i\s+mean|i'd\s+argue|(?:i|we)\s+(?:would\s+)?argue\s+that|we\s+(?:propose|suggest|"
    r"contend)\s+that|that|um|uh|erm|here|in\s+this\s+(?:paper|study|review|article))\W*)*$"
)
_QUESTION = re.compile(
    r"^\W*(?:(?:so|and|but|ok(?:ay)?|right)\W+)*(?:(?:what|how|why|which|where)\s+"
    r"(?:do|does|did|is|are|was|would|could|should|can|might|'s)\b|(?:do|does|did|is|are|"
    r"would|could|can|should|have|has)\s+(?:you|we|they|people|it|upstream|the|your)\b)",
    re.IGNORECASE,
)
_EMBEDDED_QUESTION = re.compile(
    r"\bwhat\s+(?:do|does|did|would)\s+(?:you|they|people|we|it|\w+)\s+(?:\w+\s+)?mean\b",
    re.IGNORECASE,
)
_NEGATION = re.compile(r"n't\b|\bnot\b|\bnever\b|\bno\s+longer\b|\brather\s+than\b", re.I)


def concept_phrase(spec: ConceptSpec) -> str:
    """The regular expression for the concept's noun phrase (T in the patterns)."""
    term = spec.term_regex()
    return (
        r"(?:(?:the|an?|this|that|our|my|their|your)\s+)?"
        r"(?:(?:term|word|idea|notion|concept|metaphor|language|label|phrase)\s+(?:of\s+)?)?"
        r"[\"'‘“]?"
        r"(?:(?:being|going|thinking|working|acting|moving|looking|intervening|further|more)"
        r"\s+)?"
        rf"{term}"
        r"[\"'’”]?"
        r"(?:\s+(?:public\s+health|health|social|structural|policy|"
        r"population|preventive|prevention))?"
        r"(?:\s+(?:actions?|approach(?:es)?|work|working|thinking|interventions?|polic(?:y|ies)|"
        r"strateg(?:y|ies)|measures?|determinants?|factors?|prevention|focus|orientation|"
        r"solutions?|causes?|perspective|agenda|activity|activities|model|promotion|change|"
        r"programmes?|programs?|movement|investment|care|services?))?"
    )


def _patterns(spec: ConceptSpec) -> list[tuple[str, re.Pattern, bool]]:
    """(name, regex, concept-must-be-subject) in the order they are tried."""
    t = concept_phrase(spec)
    aside = (
        r"(?:\s*,?\s*(?:for\s+me|to\s+me|for\s+us|in\s+my\s+(?:view|mind|opinion|head|"
        r"experience)|i\s+(?:think|guess|suppose|believe|would\s+say)|i'd\s+say|personally|"
        r"then|here|in\s+this\s+(?:paper|study|review|sense|context|article)|as\s+(?:i|we)\s+"
        r"(?:see|understand|use)\s+it|in\s+practice|in\s+essence)\s*,?)?"
        r"(?:\s*[,\-–—(][^,()\-–—]{1,60}[,\-–—)])?"
    )
    adverb = r"(?:\s*(?:just|simply|also|really|basically|essentially|actually|mostly|"
    adverb += r"mainly|primarily|ultimately|fundamentally|always|often|usually|generally))*"
    copula = (
        r"(?:is|are|was|were|'s|'re)(?:n't)?(?:\s+not)?|(?:would|should|has\s+to|can|will|"
        r"must|could|might)(?:n't)?(?:\s+not)?\s+be|(?:has|have)\s+(?:always\s+)?been"
    )
    mean_verb = (
        r"(?:(?:does|do|did)\s*(?:n't|not)\s+)?(?:means?|meant|signif(?:y|ies)|impl(?:y|ies)|"
        r"refers?\s+to|referred\s+to|describes?|denotes?|stands?\s+for|comes?\s+down\s+to|"
        r"boils?\s+down\s+to|encompass(?:es)?|captures?|involves?|entails?|connotes?|"
        r"translates?\s+(?:in)?to|equates?\s+to|amounts?\s+to|evokes?|conjures?\s+up)"
    )
    who = r"(?:i|we|they|you|people|most\s+people|the\s+authors?|researchers|policymakers)"
    define_verb = (
        r"(?:define[sd]?|defining|conceptuali[sz]e[sd]?|conceptuali[sz]ing|understand|"
        r"understood|understands|see|sees|saw|view|views|viewed|describe[sd]?|describing|"
        r"characteri[sz]e[sd]?|characteri[sz]ing|frame[sd]?|framing|operationali[sz]e[sd]?|"
        r"think\s+of|thought\s+of|interpret(?:s|ed)?|regard(?:s|ed)?)"
    )
    passive = (
        r"(?:defined|understood|conceptuali[sz]ed|described|characteri[sz]ed|framed|"
        r"operationali[sz]ed|used|taken|interpreted|seen|viewed|thought\s+of|meant)"
    )
    x = r"\s*,?\s*(?P<x>.+)"
    raw = [
        (
            "by_T_I_mean",
            rf"\bby\s+{t}\s*,?\s*{who}\s+(?:\w+\s+)?(?:(?:do|does|did)\s*(?:n't|not)\s+)?"
            rf"(?:mean|means|meant|understand|refer\s+to|(?:am|are|'m|'re)\s+referring\s+to)" + x,
            False,
        ),
        (
            "when_I_say_T",
            rf"\bwhen\s+{who}\s+(?:say|said|talk\s+about|talk\s+of|use\s+the\s+(?:word|term)|"
            rf"speak\s+(?:of|about)|think\s+(?:of|about)|hear)\s+{t}\s*,?\s*(?:(?:what\s+)?"
            rf"(?:i|we|they|you|it|that)\s+)?(?:really\s+|actually\s+|generally\s+|usually\s+)?"
            r"(?:(?:do|does|did)\s*(?:n't|not)\s+)?(?:mean(?:s)?(?:\s+is)?|(?:'m|am|are|'re)\s+"
            r"(?:talking|thinking)\s+(?:about|of)|think\s+(?:of|about)|have\s+in\s+mind|"
            r"picture|imagine|refer\s+to|(?:'m|am|are|'re)\s+referring\s+to)" + x,
            False,
        ),
        (
            "what_I_mean_by_T_is",
            rf"\bwhat\s+{who}\s+(?:\w+\s+)?(?:mean|understand|take|think\s+of)\s+(?:by|as|"
            rf"when\s+\w+\s+say)\s+{t}\s*,?\s*(?:is|are|was|would\s+be|'s)" + x,
            False,
        ),
        (
            # pseudo-cleft: "what upstream means to me is X" (not the indirect question
            # "I don't know what upstream means": the sentence must open with it)
            "what_T_means_is",
            rf"^\W*(?:(?:and|but|so|well)\W+)?what\s+{t}\s+(?:really\s+|actually\s+)?"
            r"(?:means|meant|is\s+about|stands\s+for)(?:\s+(?:to|for)\s+(?:me|us|them|people|"
            r"\w+))?\s*,?\s*(?:is|was|'s|would\s+be)" + x,
            False,
        ),
        (
            "define_T_as",
            rf"\b{define_verb}\s+{t}\s+(?:\w+\s+)?(?:as|to\s+mean|to\s+refer\s+to|to\s+be)\b" + x,
            False,
        ),
        (
            "use_T_to_mean",
            rf"\b(?:use[sd]?|using|take[sn]?|took)\s+{t}\s+(?:to\s+mean|to\s+refer\s+to|"
            r"to\s+describe|to\s+denote|as\s+shorthand\s+for|as\s+a\s+(?:shorthand|label)\s+for)"
            + x,
            False,
        ),
        (
            "T_is_defined_as",
            rf"{t}\s+(?:is|are|was|were|has\s+been|have\s+been|can\s+be|could\s+be|"
            rf"tends?\s+to\s+be)\s+(?:\w+ly\s+)?{passive}\s+(?:here\s+)?(?:\w+ly\s+)?(?:as|"
            r"to\s+mean|to\s+refer\s+to|to\s+describe|to\s+denote|in\s+terms\s+of)\b" + x,
            False,
        ),
        (
            "meaning_of_T_is",
            r"\b(?:definition|understanding|interpretation|reading|sense|version|idea|notion|"
            r"concept|essence|meaning|heart|core|gist|crux|spirit|logic|premise)\s+(?:of|"
            rf"behind)\s+{t}\s*,?{aside}\s*(?:{copula}|lies\s+in)" + x,
            False,
        ),
        ("T_means", rf"{t}{aside}{adverb}\s+{mean_verb}\b" + x, True),
        (
            "T_dash_that_is",
            rf"{t}\s*[,;:\-–—]+\s*(?:that's|that\s+is|it's|it\s+is|"
            r"which\s+means|i\.e\.|meaning|in\s+other\s+words|namely)" + x,
            True,
        ),
        ("T_is", rf"{t}{aside}\s*(?:{copula})\b" + x, True),
        (
            "X_is_what_I_call_T",
            r"^(?P<x>.+?)\s*[,;:\-–—]*\s*(?:(?:that|this|which)\s*(?:'s|is|are)?\s+|"
            r"(?:is|are|'s)\s+)(?:exactly\s+|precisely\s+|really\s+|basically\s+)?what\s+"
            rf"(?:{who}\s*(?:\w+\s+)?(?:(?:'d|would|might|should)\s+)?(?:call|mean\s+by|"
            r"think\s+of\s+as|consider|describe\s+as|refer\s+to\s+as|understand\s+(?:by|as)|"
            rf"class\s+as|count\s+as)\s+{t}|{t}\s+(?:means|is(?:\s+all)?(?:\s+really)?\s+about|"
            r"'s\s+about|stands\s+for|is))\b",
            False,
        ),
        (
            "X_that_is_T",
            r"^(?P<x>.+?)\s*[,;:\-–—]+\s*(?:(?:that|this)\s*(?:'s|is)|for\s+me\s*,?\s+"
            r"(?:that|this)\s*(?:'s|is)|that\s*,\s*(?:for|to)\s+me\s*,\s*is)\s+(?:what\s+)?"
            rf"(?:real(?:ly)?\s+|true\s+|proper\s+|genuine(?:ly)?\s+)?{t}\s*[.!]?\s*$",
            False,
        ),
    ]
    return [(name, re.compile(regex, re.IGNORECASE), subject) for name, regex, subject in raw]


def _is_question(sentence: str) -> bool:
    stripped = sentence.strip().rstrip("\"'”’)")
    return (
        stripped.endswith("?")
        or bool(_QUESTION.search(stripped))
        or bool(_EMBEDDED_QUESTION.search(stripped))
    )


def _trim(sentence: str, start: int, end: int) -> tuple[int, int]:
    """Shrink [start, end) past surrounding spaces, quotes and final punctuation."""
    while start < end and sentence[start] in " \t\n,:;\"'“‘—–-(":
        start += 1
    while end > start and sentence[end - 1] in " \t\n.!?;:,\"'”’)—–-":
        end -= 1
    return start, end


def _tokens_in(doc: Any, start: int, end: int) -> list:
    return [t for t in doc if t.idx >= start and t.idx + len(t.text) <= end]


def _x_is_definiens(doc: Any, start: int, end: int) -> bool:
    """The dependency check on X (see the module docstring)."""
    tokens = _tokens_in(doc, start, end)
    words = [t for t in tokens if not t.is_punct]
    if not words:
        return False
    inside = {t.i for t in tokens}
    roots = [t for t in tokens if t.head.i not in inside or t.head.i == t.i]
    roots = [t for t in roots if t.pos_ not in ("ADV", "PART", "PUNCT", "CCONJ", "DET")]
    if not roots:
        return False
    root = roots[0]
    first = words[0].lower_
    if first == "what" and len(words) > 1 and words[1].pos_ == "PRON":
        return False
    if len(words) == 1 and words[0].pos_ not in ("NOUN", "PROPN", "VERB"):
        return False
    if root.pos_ == "ADJ" and root.lemma_.lower() not in EQUATING_ADJECTIVES:
        return False
    if root.tag_ == "VBN" and root.dep_ in ("ROOT", "acomp") and root.lower_ == first:
        return False
    if root.pos_ == "ADP" and root.lower_ not in ("about", "like"):
        return False
    if root.lemma_.lower() == "bit" and any(c.lower_ == "of" for c in root.children):
        return False  # "a bit of a buzzword" evaluates; "the bit before ..." defines
    return not (root.dep_ in ("attr", "ROOT") and root.lemma_.lower() in EVALUATIVE_HEADS)


def _concept_is_subject(doc: Any, concept_start: int, concept_end: int, sentence: str) -> bool:
    """The concept heads (through modifiers only) the clause's subject, or opens it."""
    if re.match(_LEAD, sentence[:concept_start], re.IGNORECASE):
        return True
    tokens = _tokens_in(doc, concept_start, concept_end)
    if not tokens:
        return False
    token = tokens[-1]
    for _ in range(6):
        if token.dep_ in _SUBJECT_DEPS:
            return True
        if token.dep_ not in _MODIFIER_DEPS or token.head.i == token.i:
            return False
        token = token.head
    return False


def _concept_span(pattern: re.Pattern, spec: ConceptSpec, sentence: str, match) -> tuple[int, int]:
    """Where the concept itself sits inside the matched text (for the subject check)."""
    found = re.search(concept_phrase(spec), sentence[match.start() : match.end()], re.I)
    if not found:
        return match.start(), match.start()
    return match.start() + found.start(), match.start() + found.end()


def definitions_in_sentences(
    sentences: list[str], spec: ConceptSpec | None = None, nlp: Any = None
) -> list[dict | None]:
    """For each sentence, its definitional statement (``definiens`` with offsets in the
    sentence, ``pattern``, ``negated``) or None."""
    spec = spec or ConceptSpec()
    nlp = nlp if nlp is not None else load_concept_pipeline()
    patterns = _patterns(spec)
    concept = re.compile(spec.term_regex(), re.IGNORECASE)
    results: list[dict | None] = [None] * len(sentences)
    todo = [
        i
        for i, s in enumerate(sentences)
        if concept.search(s) and not _is_question(s) and not looks_literal(s)
    ]
    for i, doc in zip(todo, nlp.pipe(sentences[i] for i in todo), strict=True):
        sentence = sentences[i]
        for name, pattern, needs_subject in patterns:
            match = pattern.search(sentence)
            if not match:
                continue
            start, end = _trim(sentence, match.start("x"), match.end("x"))
            if end <= start or not _x_is_definiens(doc, start, end):
                continue
            if name.startswith("X_") and len(sentence[start:end].split()) < 3:
                continue  # "I think, that's what upstream is": no definiens before it
            if needs_subject:
                c_start, c_end = _concept_span(pattern, spec, sentence, match)
                if not _concept_is_subject(doc, c_start, c_end, sentence):
                    continue
                if _INDIRECT.search(sentence[:c_start]):
                    continue
            if name.startswith("X_"):
                region = sentence[match.end("x") : match.end()]
            else:
                region = sentence[match.start() : start]
            head_of_x = " ".join(sentence[start:end].split()[:2])
            results[i] = {
                "definiens": sentence[start:end],
                "definiens_start": start,
                "definiens_end": end,
                "pattern": name,
                "negated": bool(_NEGATION.search(region) or _NEGATION.match(head_of_x)),
            }
            break
    return results


def definitions(
    source: Corpus | pd.DataFrame,
    spec: ConceptSpec | None = None,
    nlp: Any = None,
    include_interviewer: bool = False,
    corpus: Corpus | None = None,
) -> pd.DataFrame:
    """Definitional statements in a corpus (or in the sentences of a concordance): one
    row per sentence with ``doc_id``, ``segment_id``, the sentence and its document
    offsets, the defining span (``definiens`` with exact document offsets
    ``definiens_start``/``definiens_end``), the ``pattern`` that found it and
    ``negated``. From a concordance frame, offsets are exact when its sentences were
    not whitespace-normalised; pass ``corpus`` too for exact offsets in every case."""
    from upstreamnlp.concept.concordance import concordance

    spec = spec or ConceptSpec()
    nlp = nlp if nlp is not None else load_concept_pipeline()
    texts = {d.id: d.text for d in corpus.documents} if corpus is not None else {}
    if isinstance(source, Corpus):
        texts = {d.id: d.text for d in source.documents}
        source = concordance(source, spec, nlp=nlp, include_interviewer=include_interviewer)
    if source.empty:
        return pd.DataFrame(columns=DEFINITION_COLUMNS)
    keys = ["doc_id", "sentence_start", "sentence_end"]
    sentences = source.drop_duplicates(subset=keys).reset_index(drop=True)
    raw = [
        texts[row.doc_id][row.sentence_start : row.sentence_end]
        if row.doc_id in texts
        else row.sentence
        for row in sentences.itertuples()
    ]
    found = definitions_in_sentences(raw, spec, nlp)
    rows = []
    extra = [c for c in sentences.columns if c not in CONCORDANCE_ONLY and c not in keys]
    for row, sentence, result in zip(sentences.to_dict("records"), raw, found, strict=True):
        if result is None:
            continue
        out = {
            "doc_id": row["doc_id"],
            "segment_id": row.get("segment_id"),
            "sentence": " ".join(sentence.split()),
            "sentence_start": row["sentence_start"],
            "sentence_end": row["sentence_end"],
            "definiens": result["definiens"],
            "definiens_start": row["sentence_start"] + result["definiens_start"],
            "definiens_end": row["sentence_start"] + result["definiens_end"],
            "pattern": result["pattern"],
            "negated": result["negated"],
        }
        for column in extra:
            out.setdefault(column, row.get(column))
        rows.append(out)
    if not rows:
        return pd.DataFrame(columns=DEFINITION_COLUMNS)
    frame = pd.DataFrame(rows)
    return frame[DEFINITION_COLUMNS + [c for c in frame.columns if c not in DEFINITION_COLUMNS]]


# Concordance columns that describe one occurrence, not its sentence.
CONCORDANCE_ONLY = {
    "occurrence_id",
    "start_char",
    "end_char",
    "match",
    "form",
    "left",
    "right",
    "sentence",
}
