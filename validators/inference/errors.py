"""Errors the inference check raises on bad input: each says what is wrong and where."""


class InferenceCheckError(Exception):
    """A failure with a message meant for the person who asked for the check (no traceback)."""

    stage = "check"

    def __init__(self, message: str, *, stage: str | None = None):
        super().__init__(message)
        if stage is not None:
            self.stage = stage

    @property
    def message(self) -> str:
        return str(self.args[0])


class UsageError(InferenceCheckError):
    """The arguments themselves are unusable (unknown device, steps < 1...): exit code 2."""

    stage = "arguments"


class DatasetError(InferenceCheckError):
    stage = "dataset"


class PolicyLoadError(InferenceCheckError):
    stage = "policy"


class TimeBudgetExceeded(InferenceCheckError):
    """The check ran past the time it was given (checked between calls, never inside one)."""

    stage = "time limit"
