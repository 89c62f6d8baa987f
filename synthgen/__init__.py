"""synthgen: learn a table and generate synthetic rows with the same statistics."""

__version__ = "0.1.0"

from .api import Synthesizer, load  # noqa: E402
from .errors import SynthgenError  # noqa: E402
from .schema import Schema, infer_schema  # noqa: E402

__all__ = ["Synthesizer", "Schema", "SynthgenError", "evaluate", "infer_schema", "load", "__version__"]


def evaluate(real, synthetic, holdout=None, target=None, **kwargs):
    """Fidelity and privacy report of ``synthetic`` against ``real``; see synthgen.report."""
    from .report import evaluate as _evaluate  # imported on use: sdmetrics is slow to import

    return _evaluate(real, synthetic, holdout=holdout, target=target, **kwargs)
