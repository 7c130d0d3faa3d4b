"""A rule: a metric, a threshold per panel, the rules a match also requires and the gates a panel must pass."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from visualdistance.analysis.rules.metric import Metric, Sigs

#: the link kinds (data.LINK_KINDS) a rule can make: rules compare whole drawings; regions come from analysis/regions
WHOLE_KINDS = ("drawing", "redrawn")


@dataclass(frozen=True)
class Threshold(ABC):
    @abstractmethod
    def per_panel(self, sigs: Sigs) -> np.ndarray:
        """One threshold per panel (float64)."""

    @abstractmethod
    def describe(self) -> str:
        """Short human-readable form, e.g. 'min(0.95 x edge_pixels, 1100)'."""


@dataclass(frozen=True)
class Fixed(Threshold):
    """The same threshold for every panel."""

    value: float

    def per_panel(self, sigs):
        n = len(next(iter(sigs.values())))
        return np.full(n, float(self.value))

    def describe(self):
        return f"{self.value:g}"


@dataclass(frozen=True)
class Scaled(Threshold):
    """t_i = min(alpha * count_i, cap): the original per-panel threshold scaled by edge pixels.

    A near-blank panel gets a threshold near 0, so it cannot match everything.
    """

    alpha: float = 0.95
    cap: float = 1100.0
    count: str = "edge_pixels"

    def per_panel(self, sigs):
        counts = np.asarray(sigs[self.count], dtype=np.float64).reshape(-1)
        return np.minimum(self.alpha * counts, self.cap)

    def describe(self):
        return f"min({self.alpha:g} x {self.count}, {self.cap:g})"


@dataclass(frozen=True)
class Gate:
    """Quality gate: panels whose signature[column] is under `minimum` are never linked (by a preset), or never by one rule."""

    signature: str
    column: int
    minimum: float
    what: str = ""

    def describe(self) -> str:
        return f"{self.what or f'{self.signature}[{self.column}]'} >= {self.minimum:g}"

    def values(self, sigs: Sigs) -> np.ndarray:
        """Each panel's gated value, signature[column]."""
        values = np.asarray(sigs[self.signature])
        if len(values) == 0:  # no panel passed the gates before this one
            return np.zeros(0, values.dtype)
        return values.reshape(len(values), -1)[:, self.column]

    def passes(self, sigs: Sigs) -> np.ndarray:
        return self.values(sigs) >= self.minimum


@dataclass(frozen=True)
class Rule:
    """Panels a and b match under this rule when metric(a, b) < max(t_a, t_b).

    requires: rules the pair must also pass, in the same orientation (direct
    or mirrored), for this rule to match: two views of the pair that must
    agree. The rule's own metric finds the candidates; each required metric
    is measured only on those. gates: both panels must pass each, or this
    rule never matches them (other rules still may). kind: what a link this rule
    makes says is shared (data.LINK_KINDS): "drawing", the whole drawing, or
    "redrawn", the drawing partly redrawn; a link takes the kind of the first of
    its preset's rules that matched it.
    """

    name: str
    metric: Metric
    threshold: Threshold
    requires: tuple["Rule", ...] = ()
    gates: tuple[Gate, ...] = ()
    kind: str = "drawing"

    def __post_init__(self) -> None:
        if any(r.requires for r in self.requires):
            raise ValueError(f"rule {self.name}: a required rule cannot require others; list them all here")
        if self.kind not in WHOLE_KINDS:
            raise ValueError(f"rule {self.name}: kind {self.kind!r} is none of {', '.join(WHOLE_KINDS)}")

    @property
    def metrics(self) -> tuple[Metric, ...]:
        """This rule's metric and those of the rules it requires."""
        return (self.metric,) + tuple(r.metric for r in self.requires)

    def describe(self) -> str:
        """e.g. 'layout < 80 and drawing < 0.25'."""
        own = f"{self.metric.name} < {self.threshold.describe()}"
        return " and ".join([own] + [r.describe() for r in self.requires] + [g.describe() for g in self.gates])
