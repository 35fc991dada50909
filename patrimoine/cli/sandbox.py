"""``patrimoine portal-sandbox``: a local data.gouv.fr to rehearse a publication end to end."""

from __future__ import annotations

import threading
from pathlib import Path

from patrimoine.sandbox.datagouv_portal import DatagouvPortal


def run_portal_sandbox(port: int, data: Path | None, stop: threading.Event | None = None) -> int:
    """Serve until Ctrl-C (or ``stop``), after printing what to export to publish to it."""
    portal = DatagouvPortal(port=port, data_dir=data)
    try:
        print(f"data.gouv.fr local démarré : {portal.url}/ (page des jeux publiés)")
        print(f"Clé d'API : {portal.api_key}")
        print(f"Organisation : {portal.organization}")
        if data is not None:
            print(f"État conservé dans : {data}")
        else:
            print("État en mémoire : il sera perdu à l'arrêt (--data DOSSIER pour le garder)")
        print("Pour y publier, exportez dans un autre terminal :")
        print(
            f"  export PATRIMOINE_PORTAL=datagouv PATRIMOINE_DATAGOUV_PUBLISH_URL={portal.url} "
            f"PATRIMOINE_DATAGOUV_API_KEY={portal.api_key} "
            f"PATRIMOINE_DATAGOUV_ORGANIZATION={portal.organization}"
        )
        print("puis lancez « patrimoine run ». Ctrl-C pour arrêter.", flush=True)
        (stop or threading.Event()).wait()
    except KeyboardInterrupt:
        print("data.gouv.fr local arrêté")
    finally:
        portal.close()
    return 0
