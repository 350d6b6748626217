"""Every table, imported here so `Base.metadata` is complete for migrations and tests."""

from __future__ import annotations

from tourmaline.db.base import Base
from tourmaline.db.models.authorization import Authorization
from tourmaline.db.models.boot import Boot
from tourmaline.db.models.connector import Connector, StatusNotification
from tourmaline.db.models.credential import StationCredential
from tourmaline.db.models.device_model import (
    DeviceAttributeStatus,
    DeviceComponent,
    DeviceVariable,
    DeviceVariableAttribute,
    DeviceVariableCharacteristics,
)
from tourmaline.db.models.local_list import LocalListEntry, LocalListRequest, LocalListVersion
from tourmaline.db.models.message_log import MessageLogEntry
from tourmaline.db.models.meter_value import MeterValue
from tourmaline.db.models.remote_request import RemoteRequest
from tourmaline.db.models.report_request import ReportRequest, StationRequestCounter
from tourmaline.db.models.reservation import Reservation
from tourmaline.db.models.security import (
    CertificateOperation,
    CertificateSigningRequest,
    InstalledCertificate,
    NetworkProfile,
    SecurityEvent,
)
from tourmaline.db.models.station import STATION_ID_LENGTH, ChargingStation
from tourmaline.db.models.subscription import Subscription
from tourmaline.db.models.tariff import Tariff
from tourmaline.db.models.transaction import Transaction, TransactionEvent

__all__ = [
    "STATION_ID_LENGTH",
    "Authorization",
    "Base",
    "Boot",
    "CertificateOperation",
    "CertificateSigningRequest",
    "ChargingStation",
    "Connector",
    "DeviceAttributeStatus",
    "DeviceComponent",
    "DeviceVariable",
    "DeviceVariableAttribute",
    "DeviceVariableCharacteristics",
    "InstalledCertificate",
    "LocalListEntry",
    "LocalListRequest",
    "LocalListVersion",
    "MessageLogEntry",
    "MeterValue",
    "NetworkProfile",
    "RemoteRequest",
    "ReportRequest",
    "Reservation",
    "SecurityEvent",
    "StationCredential",
    "StationRequestCounter",
    "StatusNotification",
    "Subscription",
    "Tariff",
    "Transaction",
    "TransactionEvent",
]
