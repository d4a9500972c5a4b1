"""Test support shared by the unit and integration suites (on pytest's pythonpath)."""
