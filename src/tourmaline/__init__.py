"""Tourmaline: an OCPP 2.0.1 Charging Station Management System."""

__version__ = "0.1.0"
