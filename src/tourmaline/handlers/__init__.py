"""THE route table: every station action Tourmaline answers, and every CSMS call whose result it
processes (design.md §1.2, §7). Adding an action means one entry here, one handler, one test.
A station action without an entry is answered NotSupported by the Router.
"""

from __future__ import annotations

import structlog

from tourmaline.handlers.authorization import (
    on_authorize,
    on_get_local_list_version_result,
    on_send_local_list_result,
)
from tourmaline.handlers.availability import on_heartbeat, on_status_notification
from tourmaline.handlers.certificates import (
    on_delete_certificate_result,
    on_get_15118_ev_certificate,
    on_get_certificate_status,
    on_get_installed_certificate_ids_result,
    on_install_certificate_result,
)
from tourmaline.handlers.device_model import (
    on_get_variables_result,
    on_notify_event,
    on_set_variables_result,
)
from tourmaline.handlers.provisioning import on_boot_notification, on_set_network_profile_result
from tourmaline.handlers.remote_control import remote_result_route
from tourmaline.handlers.reports import (
    on_notify_report,
    on_report_result,
    on_trigger_message_result,
)
from tourmaline.handlers.reservations import (
    on_cancel_reservation_result,
    on_reservation_status_update,
    on_reserve_now_result,
)
from tourmaline.handlers.security import (
    on_certificate_signed_result,
    on_security_event_notification,
    on_sign_certificate,
)
from tourmaline.handlers.transactions import on_meter_values, on_transaction_event
from tourmaline.ocpp.router import Router
from tourmaline.ocpp.schemas import SchemaRegistry
from tourmaline.ocpp.v201.models import (
    AuthorizeRequest,
    BootNotificationRequest,
    Get15118EVCertificateRequest,
    GetCertificateStatusRequest,
    HeartbeatRequest,
    NotifyEventRequest,
    NotifyReportRequest,
    ReservationStatusUpdateRequest,
    SecurityEventNotificationRequest,
    SignCertificateRequest,
    StatusNotificationRequest,
)
from tourmaline.services.context import StationContext
from tourmaline.services.remote_requests import REMOTE_ACTIONS
from tourmaline.settings import OcppSettings

__all__ = ["build_router"]

log = structlog.get_logger(__name__)


def build_router(schemas: SchemaRegistry, ocpp: OcppSettings) -> Router[StationContext]:
    # Handler tracebacks go to the log only (design.md §4 step 11); the station and message
    # ids come from the logging context the transport binds per message.
    router: Router[StationContext] = Router(
        schemas, validate_responses=ocpp.validate_responses, on_error=log.error
    )
    router.add_call_route("BootNotification", BootNotificationRequest, on_boot_notification)
    router.add_call_route("Heartbeat", HeartbeatRequest, on_heartbeat)
    router.add_call_route("StatusNotification", StatusNotificationRequest, on_status_notification)
    router.add_call_route("NotifyReport", NotifyReportRequest, on_notify_report)
    router.add_result_route("GetBaseReport", on_report_result)
    router.add_result_route("GetReport", on_report_result)
    router.add_result_route("TriggerMessage", on_trigger_message_result)
    router.add_call_route("NotifyEvent", NotifyEventRequest, on_notify_event)
    router.add_result_route("GetVariables", on_get_variables_result)
    router.add_result_route("SetVariables", on_set_variables_result)
    router.add_call_route("Authorize", AuthorizeRequest, on_authorize)
    router.add_result_route("SendLocalList", on_send_local_list_result)
    router.add_result_route("GetLocalListVersion", on_get_local_list_version_result)
    router.add_call_route(
        "ReservationStatusUpdate", ReservationStatusUpdateRequest, on_reservation_status_update
    )
    router.add_result_route("ReserveNow", on_reserve_now_result)
    router.add_result_route("CancelReservation", on_cancel_reservation_result)
    # Block A (security), block M (certificates), SetNetworkProfile (issue 5).
    router.add_call_route("SignCertificate", SignCertificateRequest, on_sign_certificate)
    router.add_call_route(
        "SecurityEventNotification",
        SecurityEventNotificationRequest,
        on_security_event_notification,
    )
    router.add_result_route("CertificateSigned", on_certificate_signed_result)
    router.add_call_route(
        "GetCertificateStatus", GetCertificateStatusRequest, on_get_certificate_status
    )
    router.add_call_route(
        "Get15118EVCertificate", Get15118EVCertificateRequest, on_get_15118_ev_certificate
    )
    router.add_result_route("InstallCertificate", on_install_certificate_result)
    router.add_result_route("GetInstalledCertificateIds", on_get_installed_certificate_ids_result)
    router.add_result_route("DeleteCertificate", on_delete_certificate_result)
    router.add_result_route("SetNetworkProfile", on_set_network_profile_result)
    router.add_call_route("TransactionEvent", None, on_transaction_event)
    router.add_call_route("MeterValues", None, on_meter_values)
    for action in REMOTE_ACTIONS:
        router.add_result_route(action, remote_result_route(action))
    return router
