"""Reading a run folder for the report and the REFI-QDA export: every file is optional
except where a caller says otherwise, and a missing or unreadable file gives ``None``."""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from upstreamnlp.errors import UpstreamError

# Labels the toolkit gives that are not codebook themes.
NON_THEMES = {"emergent", "none", "mixed", "other", ""}


class RunFolder:
    """Lazy, forgiving access to the files ``upstreamnlp run`` writes (see CONTRACT.md)."""

    def __init__(self, run_dir: str | Path) -> None:
        self.path = Path(run_dir)
        if not self.path.is_dir():
            raise UpstreamError(
                "run folder not found",
                path=self.path,
                fix="give the folder written by `upstreamnlp run CONFIG --out DIR`",
            )

    # --- raw files --------------------------------------------------------------------
    def json(self, name: str) -> Any:
        path = self.path / name
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def csv(self, name: str) -> pd.DataFrame | None:
        path = self.path / name
        if not path.is_file():
            return None
        try:
            # "none" and "NA" are labels here, not missing values.
            return pd.read_csv(path, keep_default_na=False, na_values=[""])
        except (OSError, ValueError, pd.errors.ParserError):
            return None

    # --- the parts the report uses ------------------------------------------------------
    @cached_property
    def manifest(self) -> dict[str, Any]:
        data = self.json("manifest.json")
        return data if isinstance(data, dict) else {}

    @cached_property
    def config(self) -> dict[str, Any]:
        config = self.manifest.get("config")
        return config if isinstance(config, dict) else {}

    @cached_property
    def metrics(self) -> dict[str, Any]:
        data = self.json("metrics.json")
        return data if isinstance(data, dict) else {}

    @cached_property
    def segments(self) -> pd.DataFrame | None:
        path = self.path / "segments.parquet"
        if not path.is_file():
            return None
        try:
            return pd.read_parquet(path)
        except Exception:  # noqa: BLE001 - an unreadable optional file is reported as missing
            return None

    def _labelled(self, name: str) -> pd.DataFrame | None:
        """A table of labels (``name``), a missing theme read as ``none``."""
        frame = self.csv(name)
        if frame is not None and "theme" in frame:
            frame["theme"] = frame["theme"].fillna("none").astype(str)
        return frame

    @cached_property
    def assignments(self) -> pd.DataFrame | None:
        return self._labelled("assignments.csv")

    @cached_property
    def passages(self) -> pd.DataFrame | None:
        """passages.csv: each segment's sentences with their own labels (None without)."""
        return self._labelled("passages.csv")

    @cached_property
    def theme_map(self) -> pd.DataFrame | None:
        frame = self.csv("theme_map.csv")
        if frame is not None and "assigned" in frame:
            frame["assigned"] = frame["assigned"].map(_as_bool)
        return frame

    @cached_property
    def topic_labels(self) -> pd.DataFrame | None:
        return self.csv("topic_labels.csv")

    @cached_property
    def quotes(self) -> pd.DataFrame | None:
        frame = self.csv("quotes.csv")
        # themes.evidence_quotes names the scope column "kind"; accept both.
        if (
            frame is not None
            and "scope" not in frame
            and "kind" in frame
            and set(frame["kind"].dropna()) <= {"topic", "theme"}
        ):
            frame = frame.rename(columns={"kind": "scope"})
        if frame is not None and "key" in frame:
            frame["key"] = frame["key"].map(_key)
        return frame

    @cached_property
    def content_words(self) -> dict[str, int]:
        """Content words per modelled segment (``tokens.parquet``: the tokens the model
        saw, a phrase counting its words); empty when the file is missing."""
        path = self.path / "tokens.parquet"
        if not path.is_file():
            return {}
        try:
            frame = pd.read_parquet(path, columns=["segment_id", "tokens"])
        except Exception:  # noqa: BLE001 - an unreadable optional file is reported as missing
            return {}
        from upstreamnlp.themes.evidence import content_word_count

        counts = content_word_count([], [[str(t) for t in toks] for toks in frame["tokens"]])
        return {str(sid): int(n) for sid, n in zip(frame["segment_id"], counts, strict=True)}

    @cached_property
    def chosen_k(self) -> int | None:
        for value in (
            self.metrics.get("chosen_k"),
            (self.manifest.get("k_selection") or {}).get("chosen_k"),
        ):
            if value is not None:
                try:
                    return int(value)
                except (TypeError, ValueError):
                    continue
        return None

    @cached_property
    def topics(self) -> pd.DataFrame | None:
        """``topics.csv`` rows of the chosen model (the chosen k, when several were fitted)."""
        frame = self.csv("topics.csv")
        if frame is None or "k" not in frame:
            return frame
        if self.chosen_k is not None and (frame["k"] == self.chosen_k).any():
            return frame[frame["k"] == self.chosen_k].reset_index(drop=True)
        return (
            frame[frame["k"] == frame["k"].iloc[0]].reset_index(drop=True) if len(frame) else frame
        )

    def theme_ids(self) -> list[str]:
        """Theme ids the run used, in first-seen order (theme map, then assignments)."""
        ids: list[str] = []
        for frame in (self.theme_map, self.assignments):
            if frame is not None and "theme" in frame:
                ids += [str(t) for t in frame["theme"] if str(t) not in NON_THEMES]
        return list(dict.fromkeys(ids))

    def emergent_topics(self) -> list[int]:
        """Topics that fit no theme: labelled ``emergent`` in topic_labels.csv, or (without
        that file) topics with no assigned theme in theme_map.csv."""
        labels = self.topic_labels
        if labels is not None and {"topic", "label"} <= set(labels.columns):
            return sorted(int(t) for t in labels.loc[labels["label"] == "emergent", "topic"])
        theme_map = self.theme_map
        if theme_map is not None and {"topic", "assigned"} <= set(theme_map.columns):
            assigned = theme_map.groupby("topic")["assigned"].any()
            return sorted(int(t) for t, a in assigned.items() if not a)
        return []

    def codebook(self, used_only: bool = True):
        """The run's codebook: the config's ``themes`` file if it can be found, else
        ``codebook.qdc`` in the run folder; only themes the run used (when known).
        ``used_only=False`` keeps every theme of the themes file (a coder may need a theme
        the run never gave); the ``.qdc`` also holds the run's emergent topics, so from it
        only the themes the run used are ever returned."""
        from upstreamnlp.themes.codebook import Codebook, load_codebook

        candidates: list[Path] = []
        themes_path = self.config.get("themes")
        if themes_path:
            p = Path(str(themes_path))
            candidates.append(p)
            if not p.is_absolute() and self.manifest.get("config_path"):
                candidates.append(Path(str(self.manifest["config_path"])).parent / p)
        candidates.append(self.path / "codebook.qdc")
        used = set(self.theme_ids())
        for candidate in candidates:
            if not candidate.is_file():
                continue
            try:
                codebook = load_codebook(candidate)
            except UpstreamError:
                continue
            if used and (used_only or candidate.suffix.lower() == ".qdc"):
                themes = tuple(t for t in codebook.themes if t.id in used)
                if not themes:
                    continue
                codebook = Codebook(
                    themes=themes,
                    name=codebook.name,
                    description=codebook.description,
                    source=codebook.source,
                )
            return codebook
        return None

    def figure(self, name: str) -> Path | None:
        path = self.path / "figures" / f"{name}.png"
        return path if path.is_file() else None

    def figures(self) -> list[str]:
        folder = self.path / "figures"
        return sorted(p.stem for p in folder.glob("*.png")) if folder.is_dir() else []


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes"}
    try:
        return bool(value) and not pd.isna(value)
    except (TypeError, ValueError):
        return bool(value)


def _key(value: Any) -> str:
    """Quote keys as text: topic numbers ('3', 3, 3.0) all become '3'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
