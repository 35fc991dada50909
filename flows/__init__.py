"""Prefect flows: they only wire the stages and handle failure per dataset."""

from flows.refresh import refresh_all, refresh_dataset

__all__ = ["refresh_all", "refresh_dataset"]
