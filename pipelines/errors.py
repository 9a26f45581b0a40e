"""The engine's exceptions: each message is a sentence a user can act on."""


class ShowroomError(Exception):
    """Base class, so callers can render every engine error the same way."""


class InputError(ShowroomError, ValueError):
    """The user's input cannot be used: the message says what is wrong and what is accepted."""


class ModelNotAvailable(ShowroomError):
    """The model is unknown, not provisioned, or would need a hub that is switched off."""


class ProvisioningError(ShowroomError):
    """Fetching, verifying or converting a model's source packages failed."""


class ServerBusy(ShowroomError):
    """A model's queue is full: the visitor is told at once instead of waiting without end."""


class RequestCancelled(ShowroomError):
    """The visitor stopped the request (or left the page) before it was answered."""


class SettingsError(ShowroomError):
    """An environment variable holds a value Showroom cannot use: the sentence names it and what is accepted."""
