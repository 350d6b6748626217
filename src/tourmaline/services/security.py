"""The issue-5 services in one bundle (security events, certificate signing, installed
certificates, certificate providers, network profiles), so handlers, the API and the runtime
each take one optional field instead of five."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tourmaline.clock import Clock
from tourmaline.services.certificate_providers import CertificateProviders
from tourmaline.services.certificates import CertificateSigningService
from tourmaline.services.installed_certificates import InstalledCertificateService
from tourmaline.services.network_profiles import NetworkProfileService
from tourmaline.services.ports import CertificateSigner
from tourmaline.services.reports import ReportSender
from tourmaline.services.security_events import SecurityEventService
from tourmaline.settings import Settings

__all__ = ["SecurityServices"]


@dataclass(frozen=True, slots=True)
class SecurityServices:
    events: SecurityEventService
    signing: CertificateSigningService
    installed: InstalledCertificateService
    providers: CertificateProviders
    network_profiles: NetworkProfileService

    @classmethod
    def build(
        cls,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        settings: Settings,
        *,
        sender: ReportSender,
        signer: CertificateSigner | None,
    ) -> SecurityServices:
        """Loads the configured certificate providers: ValueError when one cannot be loaded."""
        events = SecurityEventService(sessionmaker, clock)
        signing = CertificateSigningService(
            sessionmaker, clock, signer=signer, sender=sender, report_event=events.report
        )
        return cls(
            events=events,
            signing=signing,
            installed=InstalledCertificateService(sessionmaker, clock),
            providers=CertificateProviders.from_settings(settings),
            network_profiles=NetworkProfileService(sessionmaker, clock),
        )

    def start(self) -> None:
        self.events.start()

    async def stop(self) -> None:
        await self.network_profiles.stop()
        await self.events.stop()
