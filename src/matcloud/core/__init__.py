"""Shared machinery of every section: settings-driven database, blob store, jobs, auth, errors.

Nothing here knows a section or the web framework (import-linter checks both).
"""
