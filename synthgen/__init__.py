"""synthgen: learn a table and generate synthetic rows with the same statistics."""

__version__ = "0.1.0"

import os

# OpenMP threads that wait by spinning make torch 10-20x slower whenever another process
# keeps a core busy (sampling 10,000 rows on 2 cores beside two busy processes: 35 s spinning,
# 4 s sleeping); on an idle machine sleeping costs about a quarter (2.5 s against 2.0 s).
# Read by the OpenMP runtime when torch is first imported, so it is set before that; a value
# the user set wins (OMP_WAIT_POLICY=ACTIVE for the last quarter on a machine of one's own).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .api import Synthesizer, load  # noqa: E402
from .errors import SynthgenError  # noqa: E402
from .schema import Schema, infer_schema  # noqa: E402

__all__ = ["Synthesizer", "Schema", "SynthgenError", "evaluate", "infer_schema", "load", "__version__"]


def evaluate(real, synthetic, holdout=None, target=None, **kwargs):
    """Fidelity and privacy report of ``synthetic`` against ``real``; see synthgen.report."""
    from .report import evaluate as _evaluate  # imported on use: sdmetrics is slow to import

    return _evaluate(real, synthetic, holdout=holdout, target=target, **kwargs)
