"""Exceptions a user can catch. Every message names the column, file or option at fault
and says what to do next; the CLI prints it on one line and exits with code 2."""


class SynthgenError(ValueError):
    """Base class for every error synthgen raises on purpose."""


class DataError(SynthgenError):
    """The input table cannot be learned as it is (empty, malformed, bad values)."""


class SchemaError(SynthgenError):
    """A schema file or a schema object is invalid; the message lists every problem."""

    def __init__(self, problems: list[str] | str):
        if isinstance(problems, str):
            problems = [problems]
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class ModelFileError(SynthgenError):
    """A model file is missing, corrupted, not a synthgen model, or from another format version."""


class UsageError(SynthgenError):
    """An option has a value synthgen cannot use (for example -n 0)."""


class NotFittedError(SynthgenError, AttributeError):
    """The synthesizer is used before fit() or load()."""


class WorkerError(SynthgenError):
    """A worker process generating rows stopped abruptly (killed, or out of memory)."""
