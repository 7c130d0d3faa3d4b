"""Signature plug-ins: each turns a decoded panel into one fixed-size array row.

See `base.Signature` for the interface; one module per family.
"""

from visualdistance.analysis.signatures.base import PanelView, Signature
from visualdistance.analysis.signatures.binary import BinaryImage
from visualdistance.analysis.signatures.content import DrawingColours, DrawingEdges, DrawingStats
from visualdistance.analysis.signatures.edges import EdgeCount, EdgeMap
from visualdistance.analysis.signatures.hashes import AverageHash, DctHash, DifferenceHash, EdgeHash, LayoutHash

__all__ = [
    "PanelView",
    "Signature",
    "BinaryImage",
    "DrawingColours",
    "DrawingEdges",
    "DrawingStats",
    "EdgeMap",
    "EdgeCount",
    "AverageHash",
    "DctHash",
    "DifferenceHash",
    "EdgeHash",
    "LayoutHash",
]
