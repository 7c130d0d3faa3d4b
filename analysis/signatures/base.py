"""The signature plug-in interface.

A signature turns one decoded panel into one fixed-size array row. Signatures
that can see a mirrored redraw (edge maps, hashes) also describe the panel's
left-right mirror image, stored under ``<name>_mirror``.

Signatures share work through `PanelView`: the grey image, a resize or an edge
map computed by one signature is reused by the next.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from typing import Any, Callable, ClassVar, Hashable, Mapping

import numpy as np

from visualdistance.analysis import image_ops


class PanelView:
    """A decoded panel (HxWx3 uint8 RGB, composited on white; its opacity when it has transparency) and what is derived from it.

    Small greyscale versions (sides up to `BASE`) are all made from one
    BASE x BASE area-averaged image: one pass over the full-size pixels serves
    every signature. The mirrored view flips those small images rather than
    the full-size panel, which is what keeps mirrored signatures nearly free.
    """

    BASE = 100

    def __init__(self, rgb: np.ndarray, mirror_of: "PanelView | None" = None, alpha: np.ndarray | None = None,
                 file_size: tuple[int, int] | None = None) -> None:
        self._rgb = rgb
        self._alpha = alpha
        self._file_size = file_size
        self._cache: dict[Hashable, Any] = {}
        self._mirror_of = mirror_of
        self._mirror: PanelView | None = None

    @property
    def rgb(self) -> np.ndarray:
        if self._rgb is None:
            self._rgb = self._mirror_of.rgb[:, ::-1]
        return self._rgb

    @property
    def file_size(self) -> tuple[int, int]:
        """(width, height) of the panel in its file: the loader shrinks a large one before describing it, and what
        a signature says in pixels (a region's box) is said in the file's."""
        if self._mirror_of is not None:
            return self._mirror_of.file_size
        if self._file_size is None:
            return self.rgb.shape[1], self.rgb.shape[0]
        return self._file_size

    @property
    def alpha(self) -> np.ndarray | None:
        """Opacity (HxW uint8) when the panel has transparent pixels, else None."""
        if self._mirror_of is not None:
            a = self._mirror_of.alpha
            return None if a is None else a[:, ::-1]
        return self._alpha

    def cached(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """compute() once per key for this panel."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    @property
    def grey(self) -> np.ndarray:
        """Full-size greyscale (uint8)."""
        return self.cached("grey", lambda: image_ops.to_grey(self.rgb))

    def grey_resized(self, size: int | tuple[int, int]) -> np.ndarray:
        """Greyscale at size x size (or (width, height)), area-averaged."""
        return self.cached(("grey", size), lambda: self._resize_grey(size))

    def _resize_grey(self, size: int | tuple[int, int]) -> np.ndarray:
        if self._mirror_of is not None:
            return np.ascontiguousarray(self._mirror_of.grey_resized(size)[:, ::-1])
        w, h = (size, size) if isinstance(size, int) else size
        if (w, h) != (self.BASE, self.BASE) and max(w, h) <= self.BASE:
            return image_ops.resize(self.grey_resized(self.BASE), size)
        grey = self.grey
        if grey.shape[0] >= h and grey.shape[1] >= w:
            return image_ops.shrink(grey, (w, h))  # whole blocks first where they fit: a third of the time
        return image_ops.resize(grey, size)

    def mirrored(self) -> "PanelView":
        """The left-right mirror image of this panel (its own cache)."""
        if self._mirror is None:
            self._mirror = PanelView(None, mirror_of=self)
            self._mirror._mirror = self
        return self._mirror


def mirror_name(name: str) -> str:
    """The name of the rows that describe the mirrored panels of signature `name`."""
    return name + "_mirror"


@dataclass(frozen=True)
class Shown:
    """How panels.csv and the graph's Panel nodes show a signature's row, in a column of the signature's name.

    kind: "count", the row's one number; "hex", its first 64 bits as 16 hex digits.
    at: the column's place among the shown signatures (panels.csv keeps its column order).
    """

    kind: str
    at: int


@dataclass(frozen=True)
class Signature(ABC):
    """One visual signature: `describe(view)` -> a 1-D array row of fixed size and dtype.

    Subclasses are frozen dataclasses whose fields are their parameters, so a
    signature's `fingerprint` (what the feature store keys cached rows by)
    changes whenever a parameter does.
    """

    name: str

    #: also store the description of the mirrored panel, under mirror_name(name)
    mirrorable = False

    #: rows differ in length from panel to panel (many local descriptors): stored and carried as a `data.Ragged`
    ragged = False

    #: the names of the row's values, for a row of separate quantities (DrawingStats); empty for a row that
    #: is one packed image, hash or histogram. Readers ask `column(name)`, never a position.
    columns: ClassVar[tuple[str, ...]] = ()

    #: shown in panels.csv and on the graph's Panel nodes (a Shown), or None: kept in the feature store only
    shown: ClassVar[Shown | None] = None

    #: costly to describe or to store (ORB keypoints: tens of KB a panel): described only for a run whose preset
    #: reads it, in a feature-store set of its own, never with the common set every run describes
    #: (`presets.all_signatures`), so a run that does not read it never pays for it
    expensive: ClassVar[bool] = False

    @abstractmethod
    def describe(self, view: PanelView) -> np.ndarray:
        """One row for this panel."""

    def describe_mirrored(self, view: PanelView) -> np.ndarray:
        """The row of the panel's mirror image. Override when it follows more cheaply from the panel's own work."""
        return self.describe(view.mirrored())

    def describe_all_names(self) -> list[str]:
        """The names of the rows `describe_all` returns."""
        return [self.name, mirror_name(self.name)] if self.mirrorable else [self.name]

    def describe_all(self, view: PanelView) -> dict[str, np.ndarray]:
        """This signature's rows for a panel: its own and, if mirrorable, the mirrored one."""
        rows = {self.name: self.describe(view)}
        if self.mirrorable:
            rows[mirror_name(self.name)] = self.describe_mirrored(view)
        return rows

    def column(self, name: str) -> int:
        """The place of value `name` in this signature's row; ValueError naming the values it has."""
        try:
            return self.columns.index(name)
        except ValueError:
            raise ValueError(f"signature {self.name!r} has no value {name!r}; it has {list(self.columns)}") from None

    def values(self, sigs: Mapping[str, np.ndarray], name: str) -> np.ndarray:
        """Value `name` of every panel's row, from the signature arrays by name `sigs`."""
        rows = np.asarray(sigs[self.name])
        return rows.reshape(len(rows), -1)[:, self.column(name)]

    @property
    def fingerprint(self) -> str:
        params = {k: v for k, v in asdict(self).items() if k != "name"}
        text = json.dumps([type(self).__name__, params, self.version], sort_keys=True, default=str)
        return hashlib.sha1(text.encode()).hexdigest()[:16]

    #: bump when describe() changes in a way that invalidates stored rows
    version = 1
