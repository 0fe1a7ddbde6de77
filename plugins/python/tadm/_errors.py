"""tadm.Error and one subclass per library status (tadm_status in tadm.h)."""


class Error(Exception):
    """A tadm library call failed.

    ``status`` is the status name ("CORRUPT", "MODEL", ...), ``code`` its number in tadm.h and
    ``message`` the library's own words (what went wrong and, where it can, what to do).
    """

    status = "UNKNOWN"

    def __init__(self, message, code=None):
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self):
        return f"{self.message} [{self.status}]"


class InvalidArgumentError(Error):
    status = "INVALID_ARGUMENT"


class IOFailure(Error):
    status = "IO"


class CorruptError(Error):
    status = "CORRUPT"


class UnsupportedError(Error):
    status = "UNSUPPORTED"


class LimitError(Error):
    status = "LIMIT"


class ModelError(Error):
    status = "MODEL"


class ModelMismatchError(ModelError):
    status = "MODEL_MISMATCH"


class OutOfMemoryError(Error):
    status = "OUT_OF_MEMORY"


class CancelledError(Error):
    status = "CANCELLED"


class InternalError(Error):
    status = "INTERNAL"


_BY_STATUS = {cls.status: cls for cls in (
    InvalidArgumentError, IOFailure, CorruptError, UnsupportedError, LimitError, ModelError,
    ModelMismatchError, OutOfMemoryError, CancelledError, InternalError)}


def from_status(code, status, message):
    """The exception for a failed call (used by the compiled module)."""
    cls = _BY_STATUS.get(status)
    if cls is None:
        err = Error(message, code)
        err.status = status
        return err
    return cls(message, code)
