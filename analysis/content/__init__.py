"""Finding the drawing in a panel: strip the frame and a flat or two-tone background.

Reused art in comics comes back recoloured, moved a little, on a new
background, behind a new border. Comparing whole panels compares the frames
and backgrounds; this module isolates the drawing instead:

1. `work_image`: the panel at a working size (`working_side`: a little
   larger than the canvas, so small drawings keep their detail).
2. `background_mask`: the background, when it is flat or split in two flat
   colours along a straight line (read from a ring just inside the frame).
   Other backgrounds (scenery, gradients) are kept: the whole panel is content.
3. `content_mask`: everything inside the frame that is not background, minus specks.
4. `colour_edges`: thin (Canny) edges of the colour image inside the
   drawing, plus the drawing's outline, thresholded relative to the
   drawing's own contrast, so dark lines on dark fills are found as well as
   black outlines on white.
5. `centre_on_content`: the maps pasted into a square canvas with the
   drawing's bounding box centred, so a moved drawing lands in the same place
   (and its mirror image is simply the flipped canvas).

All functions are pure: numpy arrays in, numpy arrays out.

Modules: `mask` (which pixels are drawing: steps 2 and 3, and the page
margin, frame and transparency) and `drawing` (the working image, the
edges, the canvas: steps 1, 4 and 5, and `find_drawing`, which runs them all).
Every public name is importable from here.
"""

from visualdistance.analysis.content.drawing import (
    MAX_ENLARGE,
    WORK_SCALE,
    Drawing,
    centre_on_content,
    colour_edges,
    colour_histogram,
    find_drawing,
    work_image,
    working_side,
)
from visualdistance.analysis.content.mask import (
    COLOUR_TOLERANCE,
    FRAME_DEPTH,
    FRAME_MARGIN,
    Background,
    background_mask,
    content_mask,
    frame_inset,
    opacity_mask,
)

__all__ = ["COLOUR_TOLERANCE", "FRAME_DEPTH", "FRAME_MARGIN", "MAX_ENLARGE", "WORK_SCALE", "Background", "Drawing",
           "background_mask", "centre_on_content", "colour_edges", "colour_histogram", "content_mask", "find_drawing",
           "frame_inset", "opacity_mask", "work_image", "working_side"]
