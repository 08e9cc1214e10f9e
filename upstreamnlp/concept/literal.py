"""Literal versus metaphorical uses of "upstream": a lexical rule shared by the
definitions and senses steps.

A context is *literal* (rivers, fish, boats, floods; supply chains and manufacturing;
upstream/downstream in engineering, software, networks or genetics) when it contains at
least one literal cue and no cue of the health-inequalities metaphor, or when literal
cues outnumber metaphor cues by three to one and are at least three. The river metaphor itself
("pulling people out of the river") has people and health in it, so it stays
metaphorical.
"""

from __future__ import annotations

import re

LITERAL_CUES = frozenset(
    """river rivers riverbank water waters waterway fish fishes salmon trout eel eels swim
    swims swam swimming spawn spawning boat boats canoe kayak paddle paddled paddling rowing
    current currents flood floods flooding dam dams weir estuary tributary sewage sediment
    fishing downriver mill bridge tide tides
    supplier suppliers supply vendor vendors manufacturing manufacturer manufacturers
    factory factories refinery refineries oil gas drilling crude petroleum logistics
    procurement raw materials components wafer
    repository repo git github branch merge commit fork server servers packet packets
    router bandwidth proxy api pipeline pipelines deploy codebase library patch patches
    gene genes promoter transcription codon nucleotide dna rna enzyme kinase receptor
    exon intron sequence""".split()
)
METAPHOR_CUES = frozenset(
    """health healthy ill illness disease diseases inequality inequalities inequity
    inequities equity prevention preventive prevent preventing intervention interventions
    determinant determinants social policy policies community communities poverty income
    housing power powerful people population populations public patient patients gp
    gps nhs council councils government wellbeing obesity smoking causes cause welfare
    deprivation decision decisions services service care approach approaches screening
    doctor doctors hospital poorly sick diagnosis treatment""".split()
)
_WORD = re.compile(r"[a-z]+")


def literal_evidence(text: str) -> tuple[int, int]:
    """(literal cue count, metaphor cue count) in ``text``, on lower-cased words."""
    words = _WORD.findall(text.lower())
    literal = sum(1 for w in words if w in LITERAL_CUES)
    metaphor = sum(1 for w in words if w in METAPHOR_CUES)
    return literal, metaphor


def looks_literal(text: str) -> bool:
    """True when the lexical rule of the module docstring calls the context literal."""
    literal, metaphor = literal_evidence(text)
    return (literal >= 1 and metaphor == 0) or (literal >= 3 and literal >= 3 * metaphor)
