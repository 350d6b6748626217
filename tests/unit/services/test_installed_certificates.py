"""Installed certificates on a real database (interface.md §7.4 `certificates/*`, OCTT TC_M_01-21):
attempts recorded before sending, completed by the answer; the stored list follows Accepted
installs and deletes, and each GetInstalledCertificateIds answer replaces it for the types asked."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.helpers import FakeClock
from tests.pki import TestCa, make_csr, self_signed_certificate
from tourmaline.services.certificate_hash import certificate_hash_data
from tourmaline.services.installed_certificates import InstalledCertificateService

STATION = "cp001"


def hash_data(serial: str, name: str = "aa") -> dict[str, str]:
    return {
        "hashAlgorithm": "SHA256",
        "issuerNameHash": name,
        "issuerKeyHash": "bb",
        "serialNumber": serial,
    }


def chain_entry(kind: str, serial: str, **extra: Any) -> dict[str, Any]:
    return {"certificateType": kind, "certificateHashData": hash_data(serial), **extra}


@pytest.fixture
def service(
    sessionmaker: async_sessionmaker[AsyncSession], clock: FakeClock
) -> InstalledCertificateService:
    return InstalledCertificateService(sessionmaker, clock)


async def install(
    service: InstalledCertificateService, certificate: str, status: str = "Accepted"
) -> None:
    request = {"certificateType": "CSMSRootCertificate", "certificate": certificate}
    assert await service.record_outbound(STATION, "InstallCertificate", request) is None
    await service.on_install_answer(STATION, request, {"status": status})


async def test_an_accepted_install_adds_the_root_with_its_hash_data(
    service: InstalledCertificateService,
) -> None:
    root = self_signed_certificate("CSMS Root")

    await install(service, root)

    assert await service.installed(STATION) == [
        {
            "stationId": STATION,
            "certificateType": "CSMSRootCertificate",
            "certificateHashData": certificate_hash_data(root),
            "source": "installed",
            "updatedAt": "2026-01-02T03:04:05Z",
            "certificate": root,
        }
    ]
    [operation] = await service.operations(STATION)
    assert operation == {
        "id": operation["id"],
        "stationId": STATION,
        "action": "InstallCertificate",
        "sentAt": "2026-01-02T03:04:05Z",
        "certificateType": "CSMSRootCertificate",
        "certificateHashData": certificate_hash_data(root),
        "status": "Accepted",
        "answeredAt": "2026-01-02T03:04:05Z",
    }


async def test_installing_the_same_root_twice_keeps_one_entry(
    service: InstalledCertificateService,
) -> None:
    root = self_signed_certificate("CSMS Root")

    await install(service, root)
    await install(service, root)

    assert len(await service.installed(STATION)) == 1
    assert [op["status"] for op in await service.operations(STATION)] == ["Accepted", "Accepted"]


@pytest.mark.parametrize("status", ["Rejected", "Failed"])
async def test_a_refused_install_is_recorded_and_adds_nothing(
    service: InstalledCertificateService, status: str
) -> None:
    await install(service, self_signed_certificate("CSMS Root"), status)

    assert await service.installed(STATION) == []
    [operation] = await service.operations(STATION)
    assert operation["status"] == status


async def test_a_certificate_without_derivable_hash_data_is_left_to_the_next_report(
    service: InstalledCertificateService,
) -> None:
    chain = TestCa().sign_csr(make_csr("sub"), certificate_type="ChargingStationCertificate")

    await install(service, chain)

    assert await service.installed(STATION) == []
    [operation] = await service.operations(STATION)
    assert operation["status"] == "Accepted"
    assert "certificateHashData" not in operation


async def test_an_unanswered_attempt_stays_open(service: InstalledCertificateService) -> None:
    request = {"certificateHashData": hash_data("1")}
    await service.record_outbound(STATION, "DeleteCertificate", request)
    await service.record_outbound(STATION, "Reset", {"type": "Immediate"})

    [operation] = await service.operations(STATION)
    assert operation["action"] == "DeleteCertificate"
    assert operation["certificateHashData"] == hash_data("1")
    assert "status" not in operation


async def test_the_installed_ids_answer_replaces_the_list_for_the_types_asked(
    service: InstalledCertificateService,
) -> None:
    everything = {
        "status": "Accepted",
        "certificateHashDataChain": [
            chain_entry("CSMSRootCertificate", "1"),
            chain_entry(
                "V2GCertificateChain", "2", childCertificateHashData=[hash_data("3", "cc")]
            ),
        ],
    }
    await service.on_installed_ids_answer(STATION, {}, everything)
    only_csms = {
        "status": "Accepted",
        "certificateHashDataChain": [
            chain_entry("CSMSRootCertificate", "4"),
            chain_entry("V2GCertificateChain", "5"),  # not asked for: ignored
        ],
    }
    await service.on_installed_ids_answer(
        STATION, {"certificateType": ["CSMSRootCertificate"]}, only_csms
    )

    listed = await service.installed(STATION)
    assert [(c["certificateType"], c["certificateHashData"]["serialNumber"]) for c in listed] == [
        ("CSMSRootCertificate", "4"),
        ("V2GCertificateChain", "2"),
    ]
    assert listed[1]["childCertificateHashData"] == [hash_data("3", "cc")]
    assert {c["source"] for c in listed} == {"reported"}


async def test_not_found_empties_the_types_asked(service: InstalledCertificateService) -> None:
    await service.on_installed_ids_answer(
        STATION,
        {},
        {"status": "Accepted", "certificateHashDataChain": [chain_entry("MORootCertificate", "1")]},
    )

    await service.on_installed_ids_answer(STATION, {}, {"status": "NotFound"})

    assert await service.installed(STATION) == []


async def test_an_accepted_delete_removes_the_certificate_whatever_its_spelling(
    service: InstalledCertificateService,
) -> None:
    await service.on_installed_ids_answer(
        STATION,
        {},
        {
            "status": "Accepted",
            "certificateHashDataChain": [
                chain_entry("CSMSRootCertificate", "0A1"),
                chain_entry("CSMSRootCertificate", "B2"),
            ],
        },
    )
    delete = {"certificateHashData": {**hash_data("a1"), "issuerNameHash": "AA"}}
    await service.record_outbound(STATION, "DeleteCertificate", delete)

    await service.on_delete_answer(STATION, delete, {"status": "Accepted"})

    listed = await service.installed(STATION)
    assert [c["certificateHashData"]["serialNumber"] for c in listed] == ["B2"]


@pytest.mark.parametrize("status", ["Failed", "NotFound"])
async def test_a_refused_delete_keeps_the_certificate(
    service: InstalledCertificateService, status: str
) -> None:
    answer = {
        "status": "Accepted",
        "certificateHashDataChain": [chain_entry("CSMSRootCertificate", "1")],
    }
    await service.on_installed_ids_answer(STATION, {}, answer)
    delete = {"certificateHashData": hash_data("1")}

    await service.on_delete_answer(STATION, delete, {"status": status})

    assert len(await service.installed(STATION)) == 1
    [operation] = await service.operations(STATION)
    assert (operation["action"], operation["status"]) == ("DeleteCertificate", status)
