"""The run config: a validated YAML file that fully describes a run (see CONTRACT.md).

Unknown keys and bad values are errors that name the file, the key and what is allowed.
Relative paths are resolved against the working directory first, then against the
config file's folder, so `configs/demo.yaml` works from the project root and from a copy.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from upstreamnlp.errors import ConfigError
from upstreamnlp.preprocess.options import PreprocessOptions


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CorpusConfig(_Strict):
    """Where the raw files are and how they are segmented."""

    paths: list[Path] = Field(..., min_length=1, description="files or folders, read recursively")
    manifest: Path | None = None
    text_column: str | None = None
    id_column: str | None = None
    interviewer_labels: list[str] | None = None
    min_words: int = Field(40, ge=1, description="short turns are merged up to this length")
    max_words: int = Field(250, ge=10, description="long turns are split at sentences")
    include_interviewer: bool = Field(False, description="model the interviewer's turns too")
    split_papers: Literal["abstract", "paragraphs"] = Field(
        "abstract",
        description="abstract: a bibliographic record (RIS, BibTeX, table row) is one segment; "
        "paragraphs: records are cut like full texts, into windows of min_words-max_words",
    )
    deduplicate_papers: bool = Field(
        True,
        description="a paper exported from several databases (same DOI, or same title "
        "and year) is read once, the record with an abstract kept",
    )
    pdf_references: Literal["drop", "keep"] = Field(
        "drop",
        description="drop: a PDF's reference list (from its last References/Bibliography "
        "heading in the second half) is left out of the text; keep: read it too",
    )

    @field_validator("paths", mode="before")
    @classmethod
    def _one_path(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class ModelConfig(_Strict):
    """Which topic model, which k (or list to sweep), which seed."""

    kind: Literal["lda", "nmf", "clusters"] = "lda"
    k: int | list[int] = Field(default_factory=lambda: [4, 6, 8, 10, 12])
    seed: int = 1
    stability_seeds: int = Field(3, ge=1, le=10, description="seeds per k for stability")
    seeded: bool = Field(False, description="lda only: the codebook's seed terms as priors")
    params: dict[str, Any] = Field(default_factory=dict, description="passed to the model")
    top_terms: int = Field(10, ge=3, le=50)

    @field_validator("k")
    @classmethod
    def _positive_k(cls, value: int | list[int]) -> int | list[int]:
        ks = [value] if isinstance(value, int) else value
        if not ks or any(k < 2 for k in ks):
            raise ValueError("k must be an integer >= 2 or a non-empty list of them")
        return value

    @property
    def ks(self) -> list[int]:
        return [self.k] if isinstance(self.k, int) else sorted(set(self.k))


class ThemesConfig(_Strict):
    """How topics and segments are mapped onto the codebook."""

    assign_threshold: float | None = None
    none_threshold: float | None = None
    self_train: bool = Field(
        True, description="retrain on the corpus's own confident labels (helps large corpora)"
    )
    n_quotes: int = Field(5, ge=1, le=50)
    coded_sample: Path | None = Field(
        None,
        description="CSV of human-coded passages (gold format): train a labeller on them "
        "and label every segment with it (themes/supervised.py)",
    )
    examples: Path | None = Field(
        None,
        description="CSV of example passages written from the codebook (label, text[, "
        "determinant_or_action]): train the segment labeller on them, with the codebook's "
        "exemplars and outside list, and with the coded sample when there is one",
    )
    examples_weight: float = Field(
        0.25,
        gt=0.0,
        le=1.0,
        description="with a coded sample and examples: the weight of each example passage "
        "in training, against 1 for each coded passage (your own coding counts more)",
    )
    labeller_self_train_threshold: float | None = Field(
        None,
        gt=0.5,
        le=1.0,
        description="with a coded sample: uncoded segments the labeller labels with at least "
        "this probability join its training passages for one refit (null: no self-training)",
    )
    labeller_self_train_weight: float = Field(
        0.5, gt=0.0, le=1.0, description="the weight of those self-trained segments"
    )
    labeller_fusion: Literal["experts", "joint"] = Field(
        "experts",
        description="experts: one logistic regression per feature block (embedding, "
        "codebook evidence, words, characters), probabilities multiplied; joint: one on all",
    )
    determinant_train_on: Literal["segment", "passage"] = Field(
        "segment",
        description="with a coded sample: the determinant/action labeller learns from the run "
        "segment each coded passage falls in (segment, the unit it labels) or from the coded "
        "passage alone (passage)",
    )
    determinant_rule_weight: float = Field(
        0.35,
        ge=0.0,
        le=1.0,
        description="with examples and no coded sample: how far the cue-and-exemplar rule "
        "outweighs the determinant/action labeller learned from the examples (1: the rule "
        "alone; 0: the labeller alone; themes/supervised.py, blend_with_rule)",
    )
    document_context: float = Field(
        0.5,
        ge=0.0,
        le=3.0,
        description="with a coded sample or examples: how far a segment's theme leans towards "
        "those of its neighbours in the same document (0: every segment on its own; "
        "upstreamnlp.themes.context)",
    )
    document_context_span: float = Field(
        2.0,
        gt=0.0,
        description="how many segments away a neighbour's weight falls to 1/e (2: the next "
        "segment counts 0.61, the one after 0.37)",
    )
    passages: bool = Field(
        True,
        description="also label each segment's sentences one by one (passages.csv), the "
        "unit a human coder codes; validate then matches gold passages to them too "
        "(upstreamnlp.themes.passages)",
    )
    passage_min_words: int = Field(
        4,
        ge=1,
        le=50,
        description="a sentence of fewer words is joined to its neighbour in one passage",
    )
    passage_segment_weight: float = Field(
        1.0,
        ge=0.0,
        le=3.0,
        description="how far a passage's theme leans towards its segment's (the segment's "
        "probabilities to this power; 0: each passage on its own)",
    )


class CompareConfig(_Strict):
    by: list[str] = Field(default_factory=list)
    top_terms: int = Field(30, ge=1)
    min_count: int = Field(3, ge=1)
    n_boot: int = Field(1000, ge=100)

    @field_validator("by", mode="before")
    @classmethod
    def _one_column(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class ConceptConfig(_Strict):
    enabled: bool = True
    terms: list[str] = Field(
        default_factory=lambda: ["upstream"], description="the concept's words"
    )
    phrases: list[str] = Field(
        default_factory=list, description="extra phrases, e.g. 'root causes'"
    )


class ValidationConfig(_Strict):
    gold: Path | list[Path] | None = Field(
        None,
        description="human coding to validate against: one file, or one file per coder "
        "(a list; each file's name names its coder)",
    )

    def gold_paths(self) -> list[Path]:
        """The gold coding files (none, one, or one per coder)."""
        if self.gold is None:
            return []
        return list(self.gold) if isinstance(self.gold, list) else [self.gold]


class ReportConfig(_Strict):
    title: str = "What does 'upstream' mean? A topic and theme analysis"
    qdpx: bool = True


class RunConfig(_Strict):
    """A whole run, from raw files to the report."""

    corpus: CorpusConfig
    preprocess: PreprocessOptions = Field(default_factory=PreprocessOptions)
    model: ModelConfig = Field(default_factory=ModelConfig)
    themes: Path | None = Field(None, description="codebook: themes YAML or REFI-QDA .qdc")
    theme_mapping: ThemesConfig = Field(default_factory=ThemesConfig)
    compare: CompareConfig = Field(default_factory=CompareConfig)
    concept: ConceptConfig = Field(default_factory=ConceptConfig)
    validation: ValidationConfig = Field(default_factory=ValidationConfig)
    report: ReportConfig = Field(default_factory=ReportConfig)
    cache_dir: Path | None = Field(None, description="default: .cache/upstreamnlp")
    embedder: Literal["auto", "minilm", "mpnet", "hashing"] = "auto"

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def _set_dotted(data: dict, key: str, value: Any, source: str) -> None:
    parts = key.split(".")
    node = data
    for part in parts[:-1]:
        if not isinstance(node.get(part, {}), dict):
            raise ConfigError(f"--set {key}: {part!r} is not a section", where=source)
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def apply_overrides(data: dict, overrides: list[str]) -> dict:
    """``--set model.k=6 --set compare.by=[role]``: values parsed as YAML."""
    data = copy.deepcopy(data)
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected key=value", fix="e.g. --set model.k=6")
        key, raw = item.split("=", 1)
        try:
            value = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError:
            value = raw
        _set_dotted(data, key.strip(), value, "--set")
    return data


def _explain(error: ValidationError, path: str) -> ConfigError:
    """The first validation problem as one line: the key, what was wrong, what is allowed."""
    first = error.errors()[0]
    key = ".".join(str(p) for p in first["loc"])
    kind = first["type"]
    if kind == "extra_forbidden":
        section = ".".join(str(p) for p in first["loc"][:-1])
        model: Any = RunConfig
        for part in first["loc"][:-1]:
            field = model.model_fields.get(str(part))
            model = field.annotation if field is not None else None
            if model is None or not hasattr(model, "model_fields"):
                break
        allowed = (
            sorted(model.model_fields)
            if model is not None and hasattr(model, "model_fields")
            else []
        )
        where = f"in {section}" if section else "at the top level"
        return ConfigError(
            f"unknown key {key!r} {where}",
            path=path,
            fix=f"allowed keys: {', '.join(allowed)}." if allowed else "remove it.",
        )
    if kind == "missing":
        return ConfigError(
            f"missing key {key!r}", path=path, fix="add it (see configs/default.yaml)."
        )
    return ConfigError(
        f"{key}: {first['msg']} (got {first.get('input')!r})",
        path=path,
        fix="see configs/default.yaml for the allowed values.",
    )


def _resolve(path: Path | None, base: Path) -> Path | None:
    if path is None or path.is_absolute() or path.exists():
        return path
    candidate = base / path
    return candidate if candidate.exists() else path


def load_config(path: str | Path, overrides: list[str] | None = None) -> RunConfig:
    """Read, override and validate a run config; check that the files it names exist."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(
            "config file not found", path=path, fix="give the path of a YAML run config."
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else None
        raise ConfigError(
            f"not valid YAML ({getattr(exc, 'problem', exc)})", path=path, where=where
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(
            "the config must be a mapping of sections", path=path, fix="see configs/default.yaml."
        )
    data = apply_overrides(data, overrides or [])
    return config_from_dict(data, source=str(path), base=path.parent)


def config_from_dict(data: dict, source: str = "<config>", base: Path | None = None) -> RunConfig:
    """Validate a config given as a dict (notebooks); paths resolved against ``base``."""
    try:
        config = RunConfig.model_validate(data)
    except ValidationError as exc:
        raise _explain(exc, source) from None
    base = base or Path.cwd()
    config.corpus.paths = [_resolve(p, base) for p in config.corpus.paths]
    config.corpus.manifest = _resolve(config.corpus.manifest, base)
    config.themes = _resolve(config.themes, base)
    gold = config.validation.gold
    if isinstance(gold, list):  # one file per coder
        config.validation.gold = [_resolve(p, base) for p in gold]
        golds = [(f"validation.gold[{i}]", p) for i, p in enumerate(config.validation.gold)]
    else:
        config.validation.gold = _resolve(gold, base)
        golds = [("validation.gold", config.validation.gold)]
    config.theme_mapping.coded_sample = _resolve(config.theme_mapping.coded_sample, base)
    config.theme_mapping.examples = _resolve(config.theme_mapping.examples, base)
    config.preprocess.privacy_list = _resolve(config.preprocess.privacy_list, base)
    for key, value in (
        *((f"corpus.paths[{i}]", p) for i, p in enumerate(config.corpus.paths)),
        ("corpus.manifest", config.corpus.manifest),
        ("themes", config.themes),
        *golds,
        ("theme_mapping.coded_sample", config.theme_mapping.coded_sample),
        ("theme_mapping.examples", config.theme_mapping.examples),
        ("preprocess.privacy_list", config.preprocess.privacy_list),
    ):
        if value is not None and not Path(value).exists():
            raise ConfigError(
                f"{key}: file or folder {str(value)!r} not found",
                path=source,
                fix="correct the path (relative paths are read from the working directory or the config's folder).",
            )
    return config
