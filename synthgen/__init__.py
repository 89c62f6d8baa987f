"""synthgen: learn a table and generate synthetic rows with the same statistics."""

__version__ = "0.1.0"

from .api import Synthesizer, load  # noqa: E402
from .errors import SynthgenError  # noqa: E402
from .schema import Schema, infer_schema  # noqa: E402

__all__ = ["Synthesizer", "Schema", "SynthgenError", "infer_schema", "load", "__version__"]
