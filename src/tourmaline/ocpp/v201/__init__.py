"""OCPP 2.0.1: the action table (`actions`) and the generated pydantic models (`models`)."""
