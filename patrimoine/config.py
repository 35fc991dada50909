"""Settings: defaults < ``patrimoine.toml`` < ``PATRIMOINE_*`` environment < command line.

One :class:`Settings` object is built at start, validated, and passed down; nothing deeper
reads the environment. Secrets are never read from the TOML file, only from the environment.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from patrimoine.errors import SettingsError

PROJECT_DIR = Path(__file__).resolve().parent.parent
"""The repository root: catalog, schemas, expectations and the offline snapshot live there."""

ENV_PREFIX = "PATRIMOINE_"
CONFIG_ENV = "PATRIMOINE_CONFIG"

_SIREN = re.compile(r"^\d{9}$")
_INSEE = re.compile(r"^(\d{5}|2[AB]\d{3})$")


@dataclass(frozen=True)
class TerritorySpec:
    """What the user asked for: an EPCI by SIREN, or an explicit list of communes."""

    kind: str  # "epci" | "communes"
    codes: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.kind}:{','.join(self.codes)}"

    @classmethod
    def parse(cls, text: str) -> TerritorySpec:
        kind, sep, rest = text.strip().partition(":")
        codes = tuple(c.strip().upper() for c in rest.split(",") if c.strip())
        if not sep or kind not in ("epci", "communes") or not codes:
            raise SettingsError(
                "PATRIMOINE_TERRITORY",
                f"« {text} » : attendu epci:<siren> ou communes:<insee>,<insee>,…",
            )
        if kind == "epci" and (len(codes) != 1 or not _SIREN.match(codes[0])):
            raise SettingsError(
                "PATRIMOINE_TERRITORY", f"« {text} » : un SIREN d'EPCI a 9 chiffres"
            )
        bad = [c for c in codes if kind == "communes" and not _INSEE.match(c)]
        if bad:
            raise SettingsError(
                "PATRIMOINE_TERRITORY", f"code(s) INSEE invalide(s) : {', '.join(bad)}"
            )
        return cls(kind=kind, codes=codes)


def _path(value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else PROJECT_DIR / path


def _url(value: str) -> str:
    if not re.match(r"^https?://[^/\s]+", value):
        raise ValueError(f"« {value} » n'est pas une URL http(s)")
    return value.rstrip("/")


def _database_url(value: str) -> str:
    if not value.startswith(("sqlite:", "postgresql")):
        raise ValueError(
            f"« {value} » : attendu sqlite:///chemin.db ou postgresql+psycopg://utilisateur@hôte/base"
        )
    if value.startswith("postgresql:") or value.startswith("postgresql://"):
        value = "postgresql+psycopg://" + value.split("://", 1)[1]
    if value.startswith("sqlite:///") and not value.startswith("sqlite:////"):
        relative = value.removeprefix("sqlite:///")
        if relative and relative != ":memory:":
            value = f"sqlite:///{_path(relative)}"
    return value


def _location(value: str) -> str:
    """A local file (relative to the project) or an http(s) URL; "" for none."""
    value = value.strip()
    if not value or value.startswith(("http://", "https://")):
        return value
    return str(_path(value))


_DEPARTEMENT = re.compile(r"^(\d{2,3}|2[AB])$")


def _departement_locations(value: str) -> tuple[tuple[str, str], ...]:
    """``63=https://…/ens.geojson;42=/data/ens42.csv``: one location per département.

    Codes as the COG writes them (``01``, ``2A``, ``974``); a location is a path (relative
    to the project) or an http(s) URL, and may not contain ``;`` (write ``%3B`` in a URL).
    """
    pairs: dict[str, str] = {}
    for item in value.replace("\n", ";").split(";"):
        if not item.strip():
            continue
        code, sep, where = item.partition("=")
        code = code.strip().upper()
        code = code.zfill(2) if code.isdigit() and len(code) < 2 else code
        if not sep or not _DEPARTEMENT.match(code) or not where.strip():
            raise ValueError(
                f"« {item.strip()} » : attendu <département>=<chemin ou URL>, plusieurs "
                "séparés par « ; » (par exemple 63=https://exemple.fr/ens.geojson;"
                "42=/data/ens42.csv)"
            )
        if code in pairs:
            raise ValueError(f"département {code} donné deux fois")
        pairs[code] = _location(where)
    return tuple(sorted(pairs.items()))


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError("doit être positif ou nul")
    return number


def _positive_float(value: str) -> float:
    number = float(value)
    if number < 0:
        raise ValueError("doit être positif ou nul")
    return number


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "oui", "on"):
        return True
    if lowered in ("0", "false", "no", "non", "off", ""):
        return False
    raise ValueError(f"« {value} » : attendu true ou false")


PORTALS = ("local", "datagouv", "ods")
"""Portal kinds a run may publish to (``PATRIMOINE_PORTAL``), in publication order."""


def _portals(value: str) -> tuple[str, ...]:
    """``local``, ``datagouv``, ``ods`` or a comma-separated list (``local,datagouv``)."""
    names = [v.strip().lower() for v in value.replace(";", ",").split(",") if v.strip()]
    unknown = [n for n in names if n not in PORTALS]
    if not names or unknown:
        raise ValueError(
            f"« {value} » : portails connus : {', '.join(PORTALS)} (plusieurs séparés par « , »)"
        )
    return tuple(dict.fromkeys(names))


SMTP_SECURITY = ("none", "starttls", "ssl")


def _smtp_security(value: str) -> str:
    lowered = value.strip().lower()
    if lowered not in SMTP_SECURITY:
        raise ValueError(f"« {value} » : attendu {', '.join(SMTP_SECURITY)}")
    return lowered


def _addresses(value: str) -> tuple[str, ...]:
    """Comma- or semicolon-separated e-mail addresses."""
    found = tuple(a.strip() for a in value.replace(";", ",").split(",") if a.strip())
    bad = [a for a in found if not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", a)]
    if bad:
        raise ValueError(f"adresse(s) e-mail invalide(s) : {', '.join(bad)}")
    return found


def _apprise_urls(value: str) -> tuple[str, ...]:
    """Apprise URLs separated by spaces, commas or new lines (``mmost://…``, ``json://…``)."""
    found = tuple(u for u in re.split(r"[\s,]+", value) if u)
    bad = [u.split("://", 1)[0] for u in found if "://" not in u]
    if bad:
        raise ValueError("chaque adresse d'alerte doit être une URL Apprise (schema://…)")
    return found


def _clock_time(value: str) -> str:
    """``HH:MM`` (24 h), Paris time."""
    match = re.match(r"^([01]?\d|2[0-3]):([0-5]\d)$", value.strip())
    if not match:
        raise ValueError(f"« {value} » : attendu une heure HH:MM, par exemple 02:30")
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def _optional_url(value: str) -> str:
    return _url(value) if value.strip() else ""


_TILE_PLACEHOLDERS = ("{z}", "{x}", "{y}")


def _tiles_url(value: str) -> str:
    """A tile URL template (``https://tuiles.exemple.fr/{z}/{x}/{y}.png``) or empty."""
    if not value.strip():
        return ""
    _url(value.strip())
    missing = [p for p in _TILE_PLACEHOLDERS if p not in value]
    if missing:
        raise ValueError(
            f"« {value} » : un modèle d'URL de tuiles doit contenir {{z}}, {{x}} et {{y}} "
            f"(manque {', '.join(missing)})"
        )
    return value.strip()


def _setting(
    default: Any,
    parse: Callable[[str], Any],
    doc: str,
    *,
    secret: bool = False,
    env_only: bool = False,
) -> Any:
    """A setting; ``secret`` ones (they may embed a password) are left out of ``repr``;
    ``env_only`` ones (API keys) are refused in the TOML file, which is often committed."""
    return field(
        default=default,
        repr=not secret,
        metadata={"parse": parse, "doc": doc, "env_only": env_only},
    )


@dataclass(frozen=True)
class Settings:
    """Validated settings of one run. Field names map to ``PATRIMOINE_<NAME>`` variables."""

    territory: TerritorySpec = _setting(
        TerritorySpec("epci", ("246300701",)), TerritorySpec.parse, "Territoire couvert"
    )
    database_url: str = _setting(
        f"sqlite:///{PROJECT_DIR / 'var' / 'patrimoine.db'}",
        _database_url,
        "Base de staging",
        secret=True,
    )
    portal_dir: Path = _setting(PROJECT_DIR / "var" / "portal", _path, "Portail local")
    cache_dir: Path = _setting(PROJECT_DIR / "var" / "cache", _path, "Fichiers téléchargés")
    portal: tuple[str, ...] = _setting(
        ("local",), _portals, "Portails de publication : local, datagouv, ods (liste possible)"
    )
    datagouv_publish_url: str = _setting(
        "https://www.data.gouv.fr",
        _url,
        "data.gouv.fr où publier (https://demo.data.gouv.fr pour répéter)",
    )
    datagouv_api_key: str = _setting("", str, "Clé d'API data.gouv.fr", secret=True, env_only=True)
    datagouv_organization: str = _setting("", str, "Identifiant de l'organisation data.gouv.fr")
    datagouv_private: bool = _setting(False, _bool, "Jeux créés en brouillon (privés)")
    schema_base_url: str = _setting(
        "",
        _optional_url,
        "Adresse où le projet publie ses TableSchema (schemas/<jeu>.json), jointe aux données",
    )
    ods_url: str = _setting("", _optional_url, "Portail OpenDataSoft (https://domaine)")
    ods_api_key: str = _setting("", str, "Clé d'API OpenDataSoft", secret=True, env_only=True)
    ods_licence: str = _setting(
        "",
        str,
        "Identifiant de la Licence Ouverte 2.0 dans la liste de licences du portail "
        "OpenDataSoft (vide : licence dite dans la description seulement)",
    )
    ods_status_timeout: float = _setting(
        600.0, _positive_float, "Attente maximale du traitement OpenDataSoft (s)"
    )
    datagouv_url: str = _setting("https://www.data.gouv.fr", _url, "API data.gouv.fr")
    geo_api_url: str = _setting("https://geo.api.gouv.fr", _url, "API Découpage administratif")
    tabular_url: str = _setting("https://tabular-api.data.gouv.fr", _url, "API tabulaire")
    wfs_url: str = _setting("https://data.geopf.fr/wfs/ows", _url, "WFS Géoplateforme")
    offline: bool = _setting(False, _bool, "Rejouer le snapshot embarqué")
    snapshot_dir: Path = _setting(PROJECT_DIR / "snapshot", _path, "Snapshot hors ligne")
    catalog_dir: Path = _setting(PROJECT_DIR / "catalog", _path, "Catalogue des jeux")
    http_timeout: float = _setting(60.0, _positive_float, "Délai réseau (s)")
    http_retries: int = _setting(3, _positive_int, "Nouvelles tentatives HTTP")
    http_backoff: float = _setting(2.0, _positive_float, "Attente initiale entre tentatives (s)")
    task_retries: int = _setting(1, _positive_int, "Nouvelles tentatives Prefect (réseau)")
    task_retry_delay: float = _setting(60.0, _positive_float, "Attente Prefect (s)")
    progress: bool = _setting(True, _bool, "Afficher la progression des téléchargements")
    museum_hours: str = _setting(
        "",
        _location,
        "Horaires des musées tenus par la collectivité (chemin ou URL d'un CSV)",
    )
    ens_sources: tuple[tuple[str, str], ...] = _setting(
        (),
        _departement_locations,
        "Espaces naturels sensibles : un fichier par département, <département>=<chemin ou URL> "
        "d'un GeoJSON ou d'un CSV au schéma ENS Auvergne-Rhône-Alpes, plusieurs séparés par "
        "« ; » (63=https://exemple.fr/ens.geojson;42=/data/ens42.csv)",
    )
    smtp_host: str = _setting("", str, "Serveur SMTP des alertes (vide : pas d'e-mail)")
    smtp_port: int = _setting(25, _positive_int, "Port SMTP")
    smtp_security: str = _setting("none", _smtp_security, "Chiffrement SMTP : none, starttls, ssl")
    smtp_user: str = _setting("", str, "Utilisateur SMTP")
    smtp_password: str = _setting("", str, "Mot de passe SMTP", secret=True, env_only=True)
    alert_from: str = _setting("patrimoine@localhost", str, "Expéditeur des alertes")
    alert_to: tuple[str, ...] = _setting((), _addresses, "Destinataires des alertes (liste)")
    alert_urls: tuple[str, ...] = _setting(
        (), _apprise_urls, "Alertes par messagerie : URLs Apprise", secret=True, env_only=True
    )
    alert_reminder_days: float = _setting(
        7.0, _positive_float, "Rappel tous les N jours tant qu'un jeu reste en échec"
    )
    alert_digest: bool = _setting(False, _bool, "Envoyer un bilan après chaque run nocturne")
    pictures: bool = _setting(
        True, _bool, "Dessiner les cartes et graphiques des jeux (et la page du territoire)"
    )
    map_tiles_url: str = _setting(
        "",
        _tiles_url,
        "Fond de carte des pages interactives : modèle d'URL de tuiles {z}/{x}/{y} "
        "(vide : contours des communes seuls, sans réseau)",
    )
    map_tiles_attribution: str = _setting(
        "", str, "Mention du fond de carte (par exemple « © les contributeurs d'OpenStreetMap »)"
    )
    public_url: str = _setting(
        "",
        _optional_url,
        "Adresse publique du portail local ; si donnée, la page du territoire est déclarée "
        "en réutilisation sur data.gouv.fr",
    )
    nightly_time: str = _setting("02:30", _clock_time, "Heure du run nocturne (heure de Paris)")
    run_timeout: float = _setting(
        4 * 3600.0, _positive_float, "Durée maximale d'un run avant arrêt et alerte (s)"
    )
    max_removed_share: float = _setting(
        0.2, _positive_float, "Part maximale de lignes supprimées d'un coup avant blocage"
    )

    @property
    def var_dir(self) -> Path:
        return self.cache_dir.parent

    def with_overrides(self, **overrides: Any) -> Settings:
        """Apply command-line options (already typed) on top of the other layers."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def setting_names() -> list[str]:
    return [f.name for f in fields(Settings)]


def _parse(name: str, raw: Any, origin: str) -> Any:
    spec = next(f for f in fields(Settings) if f.name == name)
    try:
        return spec.metadata["parse"](str(raw) if not isinstance(raw, bool) else str(raw).lower())
    except SettingsError:
        raise
    except (ValueError, TypeError) as exc:
        raise SettingsError(origin, str(exc)) from None


def load_settings(
    environ: Mapping[str, str] | None = None, config_file: Path | None = None
) -> Settings:
    """Build the settings from the TOML file and the environment.

    The TOML file is ``$PATRIMOINE_CONFIG`` if set, else ``patrimoine.toml`` in the current
    directory or the project directory; a missing default file is not an error.
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    path = config_file or (Path(env[CONFIG_ENV]) if env.get(CONFIG_ENV) else None)
    if path is not None and not path.is_file():
        raise SettingsError(CONFIG_ENV, f"fichier introuvable : {path}")
    if path is None:
        path = next(
            (
                p
                for p in (Path.cwd() / "patrimoine.toml", PROJECT_DIR / "patrimoine.toml")
                if p.is_file()
            ),
            None,
        )
    known = set(setting_names())
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(str(path), f"TOML illisible : {exc}") from None
        env_only = {f.name for f in fields(Settings) if f.metadata.get("env_only")}
        for key, raw in data.items():
            if key not in known:
                raise SettingsError(f"{path.name}:{key}", "réglage inconnu")
            if key in env_only:
                raise SettingsError(
                    f"{path.name}:{key}",
                    "une clé d'API ne se met pas dans le fichier de configuration : retirez-la "
                    f"et donnez-la par la variable d'environnement {ENV_PREFIX}{key.upper()}",
                )
            values[key] = _parse(key, raw, f"{path.name}:{key}")
    for name in known:
        variable = ENV_PREFIX + name.upper()
        if variable in env:
            values[name] = _parse(name, env[variable], variable)
    return Settings(**values)
