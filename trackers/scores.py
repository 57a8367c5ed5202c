"""One mapping of raw detector scores to [0, 1], used for every tracker so thresholds mean the same.

Scores already inside [0, 1] are kept as they are. Otherwise (raw detector margins such as
TUD-Campus's 0.142..133) each score becomes its mid-rank quantile within the file,
``(rank - 0.5) / n`` with ties sharing their average rank: monotone, so the order of detections
is kept, and spread evenly over (0, 1), so "high" (>= 0.5) means "better than the file's median".
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata


def normalise_scores(scores: np.ndarray) -> np.ndarray:
    """Map a whole file's detection scores to [0, 1] (identity when they already lie there)."""
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    if s.size == 0 or (s.min() >= 0.0 and s.max() <= 1.0):
        return s.copy()
    return (rankdata(s, method="average") - 0.5) / s.size
