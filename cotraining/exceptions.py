class ServiceError(Exception):
    """A use case refused: `code` is stable (tests, API clients), `message` is translated."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message
