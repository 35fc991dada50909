"""Staging owns the database: migrations, staged tables, history, run ledger.

It is the only package that writes SQL.
"""
