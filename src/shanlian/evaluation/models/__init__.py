"""The evaluation app's tables (re-exported: import from `shanlian.evaluation.models`)."""

from .frameworks import (
    MAX_DEPTH,
    Framework,
    FrameworkKind,
    FrameworkStatus,
    GradeBand,
    Indicator,
    IndicatorKind,
    Scoring,
)

__all__ = ["MAX_DEPTH", "Framework", "FrameworkKind", "FrameworkStatus", "GradeBand", "Indicator", "IndicatorKind", "Scoring"]
