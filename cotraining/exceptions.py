import smtplib

from django.db import OperationalError as DatabaseUnavailable


class ServiceError(Exception):
    """A use case refused: `code` is stable (tests, API clients), `message` is translated."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


# Worth another try for a task (`autoretry_for=TRANSIENT_ERRORS`): mail server, storage or network
# trouble, a database connection lost or a deadlock. Domain refusals (ServiceError) never are.
TRANSIENT_ERRORS = (OSError, smtplib.SMTPException, DatabaseUnavailable)
