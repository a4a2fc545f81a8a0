"""One error hierarchy for every user-facing failure.

Deep code raises a TfcliError; the CLI boundary (tfcli.cli.app.main) turns it
into one line on stderr and the error's exit code. No traceback unless --debug.
"""


class TfcliError(Exception):
    """A failure the user can fix; the message says what is wrong and how to fix it."""

    exit_code = 1


class UsageError(TfcliError):
    """Bad names, files, fields or option values: exit 2, like click's usage errors."""

    exit_code = 2


class UnknownArchitectureError(UsageError):
    pass


class SpecError(UsageError):
    """A config file or --set override that cannot describe a valid model."""


class InputShapeError(UsageError):
    """An input shape the model cannot take (image size, prompts, latent size)."""


class DeviceError(UsageError):
    """A device or dtype that is not available here."""


class ResourceError(TfcliError):
    """The run would not fit (memory) or ran out of it."""

    exit_code = 3


class Terminated(TfcliError):
    """Ended by SIGTERM after printing what was done: 128 + 15, as a shell reports it."""

    exit_code = 143
