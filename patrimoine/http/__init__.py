"""The one HTTP layer under every source: retries, timeouts, conditional GET, streaming."""

from patrimoine.http.client import DownloadResult, HttpClient, open_client
from patrimoine.http.mirror import MirrorTransport

__all__ = ["DownloadResult", "HttpClient", "MirrorTransport", "open_client"]
