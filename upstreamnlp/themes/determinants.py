"""Does a passage describe *determinants* (causes, conditions) or *action* (something done
or proposed), both, or neither? A transparent cue-list rule, not a trained model.

The distinction follows the domain brief: "upstream" can locate a cause in the causal
chain (upstream determinants: income, housing, power) or say which way an action is aimed
(Krieger 2008; Reich, Hansen & Link 2016). The rule, applied to each passage:

- ``determinant_score`` = 1.0 for each causal construction ("makes people ill", "leads
  to", "drives", "because", "due to", "caused by", "linked to", "exposure", "the
  gradient", "causes of the causes", ...) + 0.5 for each condition word (poverty,
  deprivation, damp, overcrowding, unemployment, low income, debt, ...).
- ``action_score`` = 1.0 for each agent + action verb ("we set up", "I lobbied", "the
  council introduced"; up to two filler words may sit between, as in speech: "we, um,
  we actually set up"), 1.0 for each modal + verb ("should tax", "need to build",
  "must act") + 0.5 for each action verb elsewhere (campaigned, implemented, banned)
  and each action noun (policy, intervention, programme, scheme, tax, levy, ban).
- label: when both scores reach ``threshold`` (0.5, i.e. any cue), ``both`` if the weaker
  is at least 1.0 and at least ``both_ratio`` (0.4) of the stronger, else the stronger
  one (coders name the dominant aspect); ``determinant`` or ``action`` when only one
  reaches ``threshold``; else ``neither``. ``label_determinant_action`` uses
  ``both_min=4`` by default: human coders of the demo corpus used "both" for about 2% of
  passages, and on the DEV half "both" from single cues was almost always wrong.
- with theme labels (``themes=``), off-theme passages are ``neither`` and the theme's usual
  aspect (``DEFAULT_ASPECT``) gets ``theme_prior`` (1.0, one strong cue) added to its score.
- with an embedder (``embedder=``, e.g. MiniLM), the similarity to action and determinant
  exemplar sentences (``ACTION_EXEMPLARS``, ``DETERMINANT_EXEMPLARS``) tilts passages that
  have a cue or a theme towards the nearer aspect, and replaces the theme prior (0.0).
- "both" is judged on the cues alone; the theme prior and the exemplars only choose the
  dominant aspect.

The earlier cue lists were tuned after seeing the whole gold coding (not held out);
changes since then (theme prior, both_min, exemplar weight, "both" from cues only) were
chosen on the DEV half of the demo gold only (``benchmarks/bench_det_action.py``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from upstreamnlp.errors import UpstreamError

_FILLER = (
    r"(?:(?:um|uh|er|erm|also|then|actually|just|really|basically|have|had|has|all|"
    r"kind of|sort of|finally|eventually|recently|successfully|jointly|together|,)\s*){0,3}"
)
_ACTION_VERBS = (
    r"campaign(?:ed|ing|s)?|lobb(?:y|ied|ies|ying)|set(?:ting)? up|introduc(?:e|ed|es|ing)|"
    r"implement(?:ed|ing|s)?|launch(?:ed|es|ing)?|start(?:ed|ing)?|buil[dt](?:ing)?|ran|run|"
    r"organis(?:e|ed|ing)|organiz(?:e|ed|ing)|commission(?:ed|ing|s)?|co-?produc(?:e|ed|ing)|"
    r"co-?design(?:ed|ing)?|fund(?:ed|ing)?|deliver(?:ed|ing|s)?|develop(?:ed|ing)?|"
    r"creat(?:e|ed|ing)|establish(?:ed|ing)?|work(?:ed|ing)? with|push(?:ed|ing)? for|"
    r"fought|fight(?:ing)? for|chang(?:e|ed|ing)|brought in|bring in|put in place|"
    r"train(?:ed|ing)|refer(?:red|ring)?|advocat(?:e|ed|ing)|tackl(?:e|ed|ing)|"
    r"challeng(?:e|ed|ing)|pilot(?:ed|ing)?|invest(?:ed|ing)?|pass(?:ed)?|"
    r"ban(?:ned|ning)?|tax(?:ed|ing)?|regulat(?:e|ed|ing)|redistribut(?:e|ed|ing)|"
    r"petition(?:ed)?|mobilis(?:e|ed|ing)|empower(?:ed|ing)?|provid(?:e|ed|ing)|"
    r"support(?:ed|ing)?|help(?:ed)?|offer(?:ed)?|made sure|ensur(?:e|ed)"
)
_AGENT = (
    r"\b(?:we|i|they|you|the council|councils|the government|government|ministers|"
    r"the nhs|our team|residents|the community|communities|local authorities|"
    r"the local authority|the city|policymakers|policy makers|the service|nurses|gps)\b"
)
_MODAL = (
    r"\b(?:should|must|need to|needs to|ought to|have to|has to|we'd|could|would like to|"
    r"want to|going to|gonna|plan to|propose to|recommend(?:ed)?)\s+(?:be\s+|really\s+|also\s+)?"
    r"(?!be\b|been\b)[a-z][a-z\-]+"
)

DETERMINANT_CONSTRUCTIONS = [
    r"\bmak(?:e|es|ing)\s+(?:\w+\s+){0,2}(?:ill|sick|unwell|poorly|worse)\b",
    r"\blead(?:s|ing)? to\b",
    r"\bled to\b",
    r"\bdriv(?:e|es|en|ing)\b",
    r"\bbecause\b",
    r"\bdue to\b",
    r"\bcaus(?:e|es|ed|ing)\b",
    r"\bresult(?:s|ed|ing)? in\b",
    r"\bcontribut(?:e|es|ed|ing) to\b",
    r"\blinked (?:to|with)\b",
    r"\bassociated with\b",
    r"\bdetermin(?:e|es|ed|ant|ants)\b",
    r"\bexpos(?:ure|ed to|ures)\b",
    r"\bgradient\b",
    r"\broot causes?\b",
    r"\bshap(?:e|es|ed|ing) (?:people's |their |our )?(?:health|lives)\b",
    r"\b(?:affect|affects|affected|harm|harms|damag\w+) (?:\w+ )?(?:health|wellbeing|lives)\b",
    r"\b(?:die|dying) (?:younger|earlier|sooner)\b",
    r"\blife expectancy\b",
    r"\bconditions in which\b",
    r"\bthe more .{1,40} the (?:more|worse|less|higher|lower)\b",
    r"\b(?:stress|stressful|worry)\b",
    r"\bend up (?:ill|sick|in hospital)\b",
    r"\bcan(?:'t|not) afford\b",
    r"\b(?:more|less) likely to\b",
    r"\binfluenc(?:e|es|ed|ing) (?:\w+ )?health\b",
    r"\b(?:prevalence|rates?) of\b",
]
CONDITION_WORDS = [
    r"poverty",
    r"deprivation",
    r"deprived",
    r"damp",
    r"mou?ld",
    r"overcrowd\w*",
    r"unemploy\w*",
    r"low(?:er)? incomes?",
    r"low pay",
    r"low wages?",
    r"debt",
    r"insecur\w+",
    r"poor housing",
    r"fuel poverty",
    r"food insecurity",
    r"socioeconomic",
    r"socio-economic",
    r"disadvantage\w*",
    r"discrimination",
    r"racism",
    r"isolation",
    r"living conditions",
    r"working conditions",
    r"poor(?:er)? (?:areas?|neighbourhoods?|communities|families)",
    r"afford\w*",
    r"rent",
    r"universal credit",
    r"benefits? (?:cuts?|stopped|sanctions?)",
    r"cuts?",
    r"(?:higher|lower|worse) (?:among|in|for)",
    r"income quintiles?",
    r"conditions",
]
ACTION_NOUNS = [
    r"polic(?:y|ies)",
    r"interventions?",
    r"programmes?",
    r"programs?",
    r"schemes?",
    r"tax(?:es)?",
    r"levy",
    r"ban",
    r"legislation",
    r"regulations?",
    r"campaigns?",
    r"initiatives?",
    r"strateg(?:y|ies)",
    r"projects?",
    r"services?",
    r"pilot",
    r"measures?",
    r"pric(?:e|es|ing)",
    r"budgets?",
    r"votes?",
    r"boards?",
    r"panels?",
    r"a say",
    r"power to",
    r"control over",
    r"decid\w*",
    r"decisions?",
    r"consult\w*",
    r"giving|letting|closing|intervening|changing|teaching|teach|redesign\w*|target\w*",
    r"tried to|try to|trying to",
    r"address(?:ed|ing)?",
    r"invest\w*",
]
# Imperatives and proposals at the start of a sentence or clause: "Stop them advertising",
# "Put tenants on the board", "Give people a budget".
_IMPERATIVE_VERBS = (
    r"stop|put|get|give|tell|close|ban|tax|build|fund|let|teach|take|make|bring|invest|pay|"
    r"raise|cap|change|move|listen|ask|involve|hand|provide|support|help|create|open"
)
# Definitions of upstream as doing something: "upstream would be intervening on prices".
_DEFINITION = (
    r"\bupstream\b[^.]{0,40}?\b(?:is|means|would be|is about|was about|'s about)\s+"
    r"(?:about\s+|that\s+|us\s+|them\s+|people\s+)?\w+ing\b"
)


def _compile(patterns: Sequence[str], word: bool = False) -> list[re.Pattern]:
    return [re.compile(rf"\b(?:{p})\b" if word else p) for p in patterns]


_DET_CONSTRUCTIONS = _compile(DETERMINANT_CONSTRUCTIONS)
_CONDITIONS = _compile(CONDITION_WORDS, word=True)
_ACTION_NOUNS = _compile(ACTION_NOUNS, word=True)
_AGENT_ACTION = re.compile(rf"{_AGENT}\s*,?\s*{_FILLER}(?:{_ACTION_VERBS})\b")
_MODAL_VERB = re.compile(_MODAL)
_IMPERATIVE = re.compile(
    rf"(?:^|[.!?;:]\s+|\b(?:and|or|so|just|maybe)\s+)(?:{_IMPERATIVE_VERBS})\b"
)
_DEFINITION_RE = re.compile(_DEFINITION)
_ACTION_VERB = re.compile(rf"\b(?:{_ACTION_VERBS})\b")
# Verbs that are too common to count on their own (only with an agent or modal).
_WEAK_VERBS = {
    "run",
    "ran",
    "start",
    "started",
    "starting",
    "help",
    "helped",
    "change",
    "changed",
    "changing",
    "support",
    "supported",
    "supporting",
    "provide",
    "provided",
    "providing",
    "offer",
    "offered",
    "pass",
    "passed",
    "develop",
    "developed",
    "developing",
    "work with",
    "working with",
    "worked with",
    "create",
    "created",
    "creating",
    "deliver",
    "delivered",
    "delivering",
}


# --- semantic evidence: similarity to exemplar sentences ------------------------------
# Written for this module from the domain brief (its examples: "poverty makes people ill",
# "we campaigned for a living wage", a nurse lobbying about damp housing, a clinic
# referring to welfare-rights advice) and general knowledge, in two registers (interview
# speech and academic prose). None is taken from the demo corpus or its gold coding.
ACTION_EXEMPLARS = (
    "We campaigned for the council to pay everyone a living wage.",
    "The government should tax sugary drinks and ban junk food advertising.",
    "We set up a residents' group so that local people decide how the budget is spent.",
    "The council introduced a scheme to insulate older homes and cut fuel bills.",
    "A nurse can lobby the council about damp housing on the estate.",
    "Our clinic refers patients to welfare rights advice so they get the benefits they are owed.",
    "What I'd want is a policy that raises the minimum wage and ends the benefit cap.",
    "For me upstream is changing the rules for everyone at once, like the smoking ban.",
    "We evaluated a programme that gave low-income families regular cash transfers.",
    "This study evaluates the effect of a national policy on inequalities in child health.",
    "Governments should act on the social determinants through redistribution and fair taxation.",
    "Community organisers worked with tenants to challenge the housing association.",
    "Local authorities could use planning powers to limit fast food outlets near schools.",
    "We took the evidence to the committee and got the council to act on it.",
    "We recommend that health in all policies is adopted across government departments.",
    "Screening and early intervention programmes were rolled out across GP practices.",
    "Fluoridating the water supply protects the teeth of the whole population.",
    "Residents were given real control over decisions about the regeneration money.",
    "You'd have to teach the kids to cook in school and give every family free school meals.",
    "The intervention changed the environment so people did not need to make any effort.",
)
DETERMINANT_EXEMPLARS = (
    "Poverty makes people ill.",
    "Damp, overcrowded housing is behind a lot of the asthma we see in children.",
    "If you can't afford to heat your home, your health suffers.",
    "Low wages and insecure work cause constant stress that wears people down.",
    "Life expectancy is years shorter in the most deprived neighbourhoods.",
    "Health follows a social gradient: the lower the income, the worse the health.",
    "The causes of the causes are income, education and the conditions people live in.",
    "Racism and discrimination damage people's health over a lifetime.",
    "Unemployment is associated with higher rates of depression and suicide.",
    "People who have no control over their lives and no say in decisions get ill more often.",
    "Money, power and knowledge shape who is exposed to risk in the first place.",
    "Poor areas are full of takeaways and betting shops and short of green space.",
    "Debt and benefit sanctions leave families going without food.",
    "Children who grow up poor carry the effects into adult life.",
    "Where you live shapes your chances of a long and healthy life.",
    "Industry marketing of alcohol and unhealthy food is a commercial determinant of health.",
    "It's not people's choices, it's the circumstances they're living in that make them sick.",
    "The distribution of power, money and resources drives health inequalities.",
    "Working-class families have less time, money and space to eat well.",
    "Cuts to services have hit the poorest places hardest.",
)


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


def exemplar_similarity(
    texts: Sequence[str],
    embedder,
    action_exemplars: Sequence[str] = ACTION_EXEMPLARS,
    determinant_exemplars: Sequence[str] = DETERMINANT_EXEMPLARS,
    n_nearest: int = 3,
) -> pd.DataFrame:
    """Per passage: ``action_similarity`` and ``determinant_similarity`` (mean cosine to
    the ``n_nearest`` closest exemplars of each kind, as ``ThemeMapper`` scores themes) and
    the single nearest exemplar of each kind (``nearest_action``, ``nearest_determinant``),
    so the evidence can quote what decided. ``embedder``: anything with ``encode(texts)``."""
    texts = [str(t) for t in texts]
    columns = ["action_similarity", "determinant_similarity"]
    columns += ["nearest_action", "nearest_determinant"]
    if not texts:
        return pd.DataFrame(columns=columns)
    if not action_exemplars or not determinant_exemplars:
        raise UpstreamError(
            "exemplar_similarity needs at least one action and one determinant exemplar",
            where="exemplar_similarity",
            fix="pass non-empty action_exemplars and determinant_exemplars",
        )
    passages = _unit_rows(np.asarray(embedder.encode(texts), dtype=float))
    out: dict[str, object] = {}
    for kind, exemplars in (("action", action_exemplars), ("determinant", determinant_exemplars)):
        reference = _unit_rows(np.asarray(embedder.encode(list(exemplars)), dtype=float))
        cos = passages @ reference.T
        n = max(1, min(n_nearest, cos.shape[1]))
        out[f"{kind}_similarity"] = np.sort(cos, axis=1)[:, -n:].mean(axis=1)
        out[f"nearest_{kind}"] = [exemplars[j] for j in cos.argmax(axis=1)]
    return pd.DataFrame(out, columns=columns)


def _decide(det: float, act: float, threshold: float, both_ratio: float, both_min: float) -> str:
    """The label from the two scores (see the module docstring)."""
    is_det, is_act = det >= threshold, act >= threshold
    if is_det and is_act:
        # Coders name the dominant aspect; "both" only when the two are balanced.
        weaker, stronger = min(det, act), max(det, act)
        if weaker >= both_min and weaker >= both_ratio * stronger:
            return "both"
        return "determinant" if det > act else "action"
    if is_det:
        return "determinant"
    if is_act:
        return "action"
    return "neither"


def score_passage(
    text: str, threshold: float = 0.5, both_ratio: float = 0.4, both_min: float = 1.0
) -> dict:
    """Determinant and action scores of one passage, its label and the cues found."""
    lower = " ".join(text.lower().replace("\u2019", "'").split())
    evidence: list[str] = []
    det = 0.0
    for pattern in _DET_CONSTRUCTIONS:
        for m in pattern.finditer(lower):
            det += 1.0
            evidence.append(f"D:{m.group(0)}")
    for pattern in _CONDITIONS:
        for m in pattern.finditer(lower):
            det += 0.5
            evidence.append(f"d:{m.group(0)}")
    act = 0.0
    covered: list[tuple[int, int]] = []
    for m in _AGENT_ACTION.finditer(lower):
        act += 1.0
        covered.append(m.span())
        evidence.append(f"A:{m.group(0).strip()}")
    for m in list(_IMPERATIVE.finditer(lower)) + list(_DEFINITION_RE.finditer(lower)):
        if any(a <= m.start() < b for a, b in covered):
            continue
        act += 1.0
        covered.append(m.span())
        evidence.append(f"A:{m.group(0).strip()}")
    for m in _MODAL_VERB.finditer(lower):
        act += 1.0
        covered.append(m.span())
        evidence.append(f"A:{m.group(0)}")
    for m in _ACTION_VERB.finditer(lower):
        if m.group(0) in _WEAK_VERBS or any(a <= m.start() < b for a, b in covered):
            continue
        act += 0.5
        evidence.append(f"a:{m.group(0)}")
    for pattern in _ACTION_NOUNS:
        for m in pattern.finditer(lower):
            if any(a <= m.start() < b for a, b in covered):
                continue
            act += 0.5
            evidence.append(f"a:{m.group(0)}")
    return {
        "label": _decide(det, act, threshold, both_ratio, both_min),
        "determinant_score": det,
        "action_score": act,
        "evidence_terms": "; ".join(evidence),
    }


# With theme labels: the aspect a passage on a theme has when no cue decides it. Three of
# the four conceptualisations are kinds of intervention (prevention, population measures,
# community action: "action"); the social-determinants theme is mostly talk about the
# conditions that cause ill health ("determinant"). Domain brief; Krieger 2008.
DEFAULT_ASPECT = {
    "prevention": "action",
    "population": "action",
    "grassroots": "action",
    "social_determinants": "determinant",
}
OFF_THEME = ("none", "emergent", "mixed", "other")
# Semantic evidence (``embedder=``): a margin of ``SEMANTIC_SCALE`` in cosine (a typical
# gap between the two exemplar sets on MiniLM) counts ``SEMANTIC_WEIGHT`` cue points.
# Both were chosen on the DEV half of the demo gold coding (benchmarks/bench_det_action.py).
SEMANTIC_WEIGHT = 1.5
SEMANTIC_SCALE = 0.05


def label_determinant_action(
    texts: Sequence[str],
    tokens: Sequence[Sequence[str]] | None = None,
    threshold: float = 0.5,
    both_ratio: float = 0.4,
    themes: Sequence[str] | None = None,
    default_aspect: dict[str, str] | None = None,
    both_min: float = 4.0,
    theme_prior: float | None = None,
    embedder=None,
    semantic_weight: float = SEMANTIC_WEIGHT,
    semantic_scale: float = SEMANTIC_SCALE,
) -> pd.DataFrame:
    """One row per passage: ``label`` (determinant/action/both/neither),
    ``determinant_score``, ``action_score`` and ``evidence_terms`` (the cues found; upper
    case = strong cue). ``tokens`` is accepted for API symmetry; the rule reads the text,
    because its cues are constructions ("we set up", "leads to") that lemmas lose.

    ``themes`` (optional, one theme label per passage, e.g. ``ThemeMapper`` labels) makes
    the rule theme-aware: a passage that is on no theme (none/emergent/mixed/other) is
    ``neither`` - the determinant/action question is about upstream talk, and a coder
    codes off-topic talk "neither" - and a themed passage without any cue gets its
    theme's ``default_aspect`` (``DEFAULT_ASPECT`` for the upstream codebook; themes not
    in it stay ``neither``).

    ``embedder`` (optional; anything with ``encode(texts)``, e.g. MiniLM) adds semantic
    evidence: the margin ``(action_similarity - determinant_similarity) / semantic_scale``
    (``exemplar_similarity``) times ``semantic_weight`` is added to the action score when
    positive, to the determinant score when negative - but only for passages with a cue or
    on a theme (not none/emergent/mixed/other), so the exemplars choose between the two
    aspects and never turn off-topic talk into one. The evidence then
    names the nearest exemplar as ``S:action ~ "..."`` or ``S:determinant ~ "..."``.

    ``theme_prior`` (cue points added to the theme's usual aspect) defaults to 1.0 without
    an embedder and 0.0 with one: on the DEV half of the demo gold the exemplars decided
    cue-less themed passages better than the theme's usual aspect (det/action kappa 0.469
    with no prior vs 0.445 with 1.0; ``benchmarks/bench_det_action.py``)."""
    rows = [score_passage(str(t), threshold, both_ratio, both_min) for t in texts]
    frame = pd.DataFrame(
        rows, columns=["label", "determinant_score", "action_score", "evidence_terms"]
    )
    if themes is not None:
        themes = [str(t) for t in themes]
        if len(themes) != len(frame):
            raise UpstreamError(
                f"{len(themes)} theme labels but {len(frame)} passages",
                where="label_determinant_action",
                fix="pass one theme label per passage",
            )
    aspects = DEFAULT_ASPECT if default_aspect is None else default_aspect
    if theme_prior is None:
        theme_prior = 0.0 if embedder is not None and semantic_weight else 1.0
    det = frame["determinant_score"].to_numpy(dtype=float).copy()
    act = frame["action_score"].to_numpy(dtype=float).copy()
    off_theme = np.zeros(len(frame), dtype=bool)
    if themes is not None:
        for i, theme in enumerate(themes):
            aspect = aspects.get(theme)
            if theme in OFF_THEME:
                off_theme[i] = True
            elif aspect == "determinant":
                det[i] += theme_prior
            elif aspect == "action":
                act[i] += theme_prior
    if embedder is not None and semantic_weight and len(frame):
        similarity = exemplar_similarity(list(map(str, texts)), embedder)
        margin = (
            similarity["action_similarity"].to_numpy()
            - similarity["determinant_similarity"].to_numpy()
        ) / semantic_scale
        evidence = frame["evidence_terms"].to_numpy(dtype=object)
        themed = np.array([t not in OFF_THEME for t in themes]) if themes is not None else False
        for i in np.flatnonzero(((det + act >= threshold) | themed) & ~off_theme):
            shift = semantic_weight * abs(margin[i])
            kind = "action" if margin[i] > 0 else "determinant"
            if kind == "action":
                act[i] += shift
            else:
                det[i] += shift
            quote = similarity.at[i, f"nearest_{kind}"]
            note = f'S:{kind} ~ "{quote}" (+{shift:.2f})'
            evidence[i] = f"{evidence[i]}; {note}" if evidence[i] else note
        frame["evidence_terms"] = evidence
    if themes is not None or embedder is not None:
        # "both" is judged on the cues alone; the theme's aspect and the exemplars only
        # choose the dominant aspect (they would otherwise inflate both scores).
        cue_det = frame["determinant_score"].to_numpy(dtype=float)
        cue_act = frame["action_score"].to_numpy(dtype=float)
        labels = []
        for i in range(len(frame)):
            if off_theme[i]:
                labels.append("neither")
            elif _decide(cue_det[i], cue_act[i], threshold, both_ratio, both_min) == "both":
                labels.append("both")
            else:
                labels.append(_decide(det[i], act[i], threshold, both_ratio, np.inf))
        frame["label"] = np.asarray(labels, dtype=object)
    return frame
