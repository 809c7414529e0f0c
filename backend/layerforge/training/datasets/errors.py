"""The one error a data set raises; the API answers it as a 4xx naming the field."""

from __future__ import annotations

from layerforge.graph.problems import Problem


class DatasetError(Exception):
    """A data set that cannot be found, read, stored or used; the message says what and where.

    `code` is the machine code of the answer, `param` the request field at fault (None: the
    uploaded file, or the reference as a whole)."""

    status = 422

    def __init__(self, message: str, *, code: str = "bad_dataset", param: str | None = None):
        super().__init__(message)
        self.code = code
        self.param = param

    def problem(self, default_param: str = "dataset") -> Problem:
        """The error as one entry of an answer's `errors`."""
        return Problem(param=self.param or default_param, code=self.code, message=str(self))


class DatasetExists(DatasetError):
    """An upload under a name that is taken by an earlier upload."""

    status = 409


def limit_exceeded(what: str, limit: int, setting: str, param: str | None = None) -> DatasetError:
    """`what` is over the cap `limit`, which the environment variable `setting` raises."""
    return DatasetError(
        f"{what}; the limit is {limit:,} (LAYERFORGE_LIMIT_{setting.upper()})",
        code="too_large",
        param=param,
    )
