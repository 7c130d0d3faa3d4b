"""Shared fixtures: generated drawings written as image files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from visualdistance.analysis import synthetic


def save(img: np.ndarray, path: Path) -> Path:
    """Write an RGB array as an image file (format from the extension)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(img).save(path)
    return path


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture
def drawing(rng) -> synthetic.Drawing:
    """One random line drawing (asymmetric, so its mirror image differs)."""
    return synthetic.random_drawing(rng, n_shapes=(7, 8))


@pytest.fixture
def store_dir(tmp_path) -> Path:
    return tmp_path / "store"
