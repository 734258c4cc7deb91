"""Lookup limits for the servers the tests share.

The whole suite talks to the shared servers from one address and makes many failed lookups of the
demo cases on purpose, so the per-client, case-wide and global limits are raised for those servers
(tests/cases/test_lookup_limits.py and tests/test_lookup_limits_rest.py prove the limits).
"""
TEST_LIMITS = {
    "WEGWIJZER_LOOKUP_MAX_FAILURES_PER_CLIENT_PER_HOUR": "10000",
    "WEGWIJZER_LOOKUP_MAX_FAILURES_PER_CASE_PER_DAY": "10000",
    "WEGWIJZER_LOOKUP_MAX_FAILURES_PER_MINUTE": "10000",
}
