"""Services own the rules: permissions, invariants and the audit trail live here, and the
web, API and CLI shells only call these functions."""
