"""Security event types of OCPP 2.0.1 (Part 2, Appendices, "Security Events").

The list is written from the station's point of view; the CSMS records its own observations with
the same names, read from the other side of the connection:

* `FailedToAuthenticateAtCsms`: a station's credentials were refused at the handshake (wrong
  or missing Basic-auth password, user name not the station id, unknown station, security profile
  below the station's minimum, too many failures).
* `InvalidChargingStationCertificate`: the client certificate on profile 3 was missing, did not
  verify (expired, unknown CA, self-signed) or names another station.
* `CsmsFailedToAuthenticate`: the station refused the CSMS's server certificate (a TLS alert
  such as unknown_ca or bad_certificate came back).
* `InvalidTLSVersion`, `InvalidTLSCipherSuite`: no TLS version or cipher suite in common.
* `InvalidMessages`: any other failed TLS handshake (for example plain HTTP on a TLS port).
"""

from __future__ import annotations

__all__ = [
    "CSMS_FAILED_TO_AUTHENTICATE",
    "FAILED_TO_AUTHENTICATE_AT_CSMS",
    "INVALID_CHARGING_STATION_CERTIFICATE",
    "INVALID_MESSAGES",
    "INVALID_TLS_CIPHER_SUITE",
    "INVALID_TLS_VERSION",
    "TECH_INFO_MAX_LENGTH",
]

FAILED_TO_AUTHENTICATE_AT_CSMS = "FailedToAuthenticateAtCsms"
CSMS_FAILED_TO_AUTHENTICATE = "CsmsFailedToAuthenticate"
INVALID_CHARGING_STATION_CERTIFICATE = "InvalidChargingStationCertificate"
INVALID_TLS_VERSION = "InvalidTLSVersion"
INVALID_TLS_CIPHER_SUITE = "InvalidTLSCipherSuite"
INVALID_MESSAGES = "InvalidMessages"

# SecurityEventNotificationRequest.techInfo is a string of at most 255 characters.
TECH_INFO_MAX_LENGTH = 255
