"""The tasks of the cms layer, under the names beat and queued messages know; each lives beside
what it serves."""

from .health import HEARTBEAT_KEY, health, record_heartbeat
from .services import send_report_notification

__all__ = ["HEARTBEAT_KEY", "health", "record_heartbeat", "send_report_notification"]
