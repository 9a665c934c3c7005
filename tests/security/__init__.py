"""Attacks from the penetration test (issue 13), each written as the attacker's requests.

Run alone with `.venv/bin/pytest tests/security`.
"""
