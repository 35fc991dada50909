"""Publishers: one implementation per portal behind one interface."""

from __future__ import annotations

from patrimoine.config import Settings
from patrimoine.publish.base import PublicationPlan, PublicationResult, Publisher
from patrimoine.publish.local import LocalPublisher


def make_publisher(settings: Settings) -> Publisher:
    return LocalPublisher(settings.portal_dir)


__all__ = ["LocalPublisher", "PublicationPlan", "PublicationResult", "Publisher", "make_publisher"]
