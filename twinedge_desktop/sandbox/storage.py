"""SQLite storage of the sandbox: users, clients, signing keys, API keys, codes and tokens.

One connection, used only from the server's event-loop thread (the embedded
server creates it in the caller's thread, hence ``check_same_thread=False``).
Every statement is synchronous and short, so there is no interleaving between
a check and the write that follows it: the event loop runs one handler's
storage work at a time.

Secrets are never stored in the clear: API keys, refresh tokens, codes, the
service client's secret and OAuth applications' secrets are kept as SHA-256
hashes (they are high-entropy random strings, so a plain hash is enough);
passwords use PBKDF2.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from twinedge_desktop.oauth_apps_rules import ApplicationType

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    sub TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    org TEXT NOT NULL, scopes TEXT NOT NULL, password_hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS clients (
    client_id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL,
    secret_hash TEXT, scopes TEXT NOT NULL, redirect_uris TEXT NOT NULL,
    grant_types TEXT NOT NULL, org TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS signing_keys (
    kid TEXT PRIMARY KEY, private_pem TEXT NOT NULL, created_at REAL NOT NULL,
    retired_at REAL);
CREATE TABLE IF NOT EXISTS api_keys (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    prefix TEXT NOT NULL, key_hash TEXT NOT NULL UNIQUE, scopes TEXT NOT NULL,
    created_at REAL NOT NULL, expires_at REAL, last_used_at REAL, revoked_at REAL,
    owner_sub TEXT NOT NULL, created_by TEXT NOT NULL, org TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS api_keys_by_owner ON api_keys (owner_sub, seq);
CREATE INDEX IF NOT EXISTS api_keys_by_org ON api_keys (org, seq);
CREATE TABLE IF NOT EXISTS auth_codes (
    code_hash TEXT PRIMARY KEY, client_id TEXT NOT NULL, redirect_uri TEXT NOT NULL,
    sub TEXT NOT NULL, scopes TEXT NOT NULL, code_challenge TEXT,
    expires_at REAL NOT NULL, used_at REAL, family_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token_hash TEXT PRIMARY KEY, family_id TEXT NOT NULL, client_id TEXT NOT NULL,
    sub TEXT NOT NULL, scopes TEXT NOT NULL, issued_at REAL NOT NULL,
    expires_at REAL NOT NULL, used_at REAL, revoked_at REAL);
CREATE INDEX IF NOT EXISTS refresh_tokens_by_family ON refresh_tokens (family_id);
CREATE TABLE IF NOT EXISTS access_tokens (
    jti TEXT PRIMARY KEY, family_id TEXT, client_id TEXT NOT NULL, sub TEXT NOT NULL,
    expires_at REAL NOT NULL, revoked_at REAL);
CREATE INDEX IF NOT EXISTS access_tokens_by_family ON access_tokens (family_id);
"""

# Columns added after the first release, so data files written before them keep working:
# (table, column, declaration). Added by ALTER TABLE when missing, on every open.
ADDED_COLUMNS = (
    # The token a refresh token was rotated into, and the access token issued with it:
    # the reuse grace (oauth.py) needs both.
    ("refresh_tokens", "replaced_by", "TEXT"),
    ("refresh_tokens", "access_jti", "TEXT"),
    # Where the key was last used from (the key-usage endpoint shows it).
    ("api_keys", "last_used_ip", "TEXT"),
)

# Key usage: one counter row per key, UTC day and endpoint ("GET /v1/assets"), so a
# request costs one upsert and a 90-day report reads at most 90 x endpoints rows.
USAGE_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_key_usage (
    key_id TEXT NOT NULL, day TEXT NOT NULL, endpoint TEXT NOT NULL,
    requests INTEGER NOT NULL, errors INTEGER NOT NULL,
    PRIMARY KEY (key_id, day, endpoint)) WITHOUT ROWID;
"""
USAGE_RETENTION_DAYS = 400

_PBKDF2_ITERATIONS = 60_000
# Hashing the same demo password for every sandbox a test run starts would cost
# ~20 ms each time; the salt is per process, which is fine for demo users.
_password_hash_cache: dict[str, str] = {}


def sha256_hex(secret: str) -> str:
    """The storage form of a high-entropy secret (API key, refresh token, code)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def hash_password(password: str) -> str:
    cached = _password_hash_cache.get(password)
    if cached is not None:
        return cached
    salt = secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac(
        "sha256", password.encode("utf-8"), bytes.fromhex(salt), _PBKDF2_ITERATIONS
    )
    encoded = f"pbkdf2_sha256${_PBKDF2_ITERATIONS}${salt}${digest.hex()}"
    _password_hash_cache[password] = encoded
    return encoded


def verify_password(password: str, encoded: str) -> bool:
    try:
        algorithm, iterations, salt, expected = encoded.split("$")
        if algorithm != "pbkdf2_sha256":
            return False
        digest = hashlib.pbkdf2_hmac(
            "sha256", password.encode("utf-8"), bytes.fromhex(salt), int(iterations)
        )
    except ValueError:
        return False
    return hmac.compare_digest(digest.hex(), expected)


@dataclass(frozen=True, slots=True)
class User:
    sub: str
    email: str
    name: str
    org: str
    scopes: tuple[str, ...]
    password_hash: str


@dataclass(frozen=True, slots=True)
class Client:
    client_id: str
    name: str
    kind: str  # "public" | "confidential"
    secret_hash: str | None
    scopes: tuple[str, ...]
    redirect_uris: tuple[str, ...]
    grant_types: tuple[str, ...]
    org: str
    # Set only for applications registered through /v1/oauth-apps (sandbox/apps.py).
    application_type: str | None = None
    previous_secret_hash: str | None = None
    previous_secret_expires_at: float | None = None
    registered_by: str | None = None

    @property
    def is_public(self) -> bool:
        return self.kind == "public"


# OAuth applications registered by people (sandbox/apps.py). Kept apart from ``clients``
# (the sandbox's own, re-seeded on every start): ``Storage.client`` looks in both, so a
# registered app works at /oauth/authorize and /oauth/token the moment it exists.
APPS_SCHEMA = """
CREATE TABLE IF NOT EXISTS oauth_apps (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL UNIQUE, name TEXT NOT NULL, application_type TEXT NOT NULL,
    redirect_uris TEXT NOT NULL, scopes TEXT NOT NULL, secret_hash TEXT, secret_hint TEXT,
    previous_secret_hash TEXT, previous_secret_expires_at REAL, created_at REAL NOT NULL,
    owner_sub TEXT NOT NULL, created_by TEXT NOT NULL, org TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS oauth_apps_by_owner ON oauth_apps (owner_sub, seq);
CREATE INDEX IF NOT EXISTS oauth_apps_by_org ON oauth_apps (org, seq);
"""

_APP_COLUMNS = (
    "seq, id, client_id, name, application_type, redirect_uris, scopes, secret_hash, "
    "secret_hint, previous_secret_hash, previous_secret_expires_at, created_at, owner_sub, "
    "created_by, org"
)


@dataclass(frozen=True, slots=True)
class OAuthAppRow:
    seq: int
    id: str
    client_id: str
    name: str
    application_type: str  # "web" | "spa" | "native" | "service"
    redirect_uris: tuple[str, ...]
    scopes: tuple[str, ...]
    secret_hash: str | None = field(repr=False)
    secret_hint: str | None
    previous_secret_hash: str | None = field(repr=False)
    previous_secret_expires_at: float | None
    created_at: float
    owner_sub: str
    created_by: str
    org: str

    def as_client(self) -> Client:
        """The app as the authorization server sees it."""
        application_type = ApplicationType(self.application_type)
        return Client(
            client_id=self.client_id,
            name=self.name,
            kind="confidential" if application_type.is_confidential else "public",
            secret_hash=self.secret_hash,
            scopes=self.scopes,
            redirect_uris=self.redirect_uris,
            grant_types=application_type.grant_types,
            org=self.org,
            application_type=self.application_type,
            previous_secret_hash=self.previous_secret_hash,
            previous_secret_expires_at=self.previous_secret_expires_at,
            registered_by=self.created_by,
        )


def _oauth_app(row: Sequence[Any]) -> OAuthAppRow:
    return OAuthAppRow(
        seq=row[0],
        id=row[1],
        client_id=row[2],
        name=row[3],
        application_type=row[4],
        redirect_uris=tuple(json.loads(row[5])),
        scopes=_split(row[6]),
        secret_hash=row[7],
        secret_hint=row[8],
        previous_secret_hash=row[9],
        previous_secret_expires_at=row[10],
        created_at=row[11],
        owner_sub=row[12],
        created_by=row[13],
        org=row[14],
    )


@dataclass(frozen=True, slots=True)
class SigningKeyRow:
    kid: str
    private_pem: str
    created_at: float
    retired_at: float | None


@dataclass(frozen=True, slots=True)
class ApiKeyRow:
    seq: int
    id: str
    name: str
    prefix: str
    scopes: tuple[str, ...]
    created_at: float
    expires_at: float | None
    last_used_at: float | None
    revoked_at: float | None
    owner_sub: str
    created_by: str
    org: str


@dataclass(frozen=True, slots=True)
class AuthCodeRow:
    client_id: str
    redirect_uri: str
    sub: str
    scopes: tuple[str, ...]
    code_challenge: str | None
    expires_at: float
    used_at: float | None
    family_id: str


@dataclass(frozen=True, slots=True)
class RefreshTokenRow:
    token_hash: str
    family_id: str
    client_id: str
    sub: str
    scopes: tuple[str, ...]
    expires_at: float
    used_at: float | None
    revoked_at: float | None
    replaced_by: str | None = None  # hash of the token this one was rotated into
    access_jti: str | None = None  # the access token issued together with this one


def _split(value: str) -> tuple[str, ...]:
    return tuple(value.split())


def _join(values: Iterable[str]) -> str:
    return " ".join(values)


_API_KEY_COLUMNS = (
    "seq, id, name, prefix, scopes, created_at, expires_at, last_used_at, revoked_at, "
    "owner_sub, created_by, org"
)


def _api_key(row: Sequence[Any]) -> ApiKeyRow:
    return ApiKeyRow(
        seq=row[0],
        id=row[1],
        name=row[2],
        prefix=row[3],
        scopes=_split(row[4]),
        created_at=row[5],
        expires_at=row[6],
        last_used_at=row[7],
        revoked_at=row[8],
        owner_sub=row[9],
        created_by=row[10],
        org=row[11],
    )


def storable(text: str) -> bool:
    """Whether UTF-8 (so SQLite) can carry ``text``: a lone surrogate such as ``"\\ud800"``
    (valid in JSON, ``\\ud800`` escaped) cannot, and binding it raises
    ``UnicodeEncodeError``, a 500. A lookup of such text finds nothing instead."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class Storage:
    """All reads and writes of the sandbox's state; autocommit, one statement or one
    explicit transaction per operation, so a dropped connection never loses a commit."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        if path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._db.executescript(APPS_SCHEMA)
        self._db.executescript(USAGE_SCHEMA)
        self._add_missing_columns()

    def close(self) -> None:
        self._db.close()

    def _add_missing_columns(self) -> None:
        for table, column, declaration in ADDED_COLUMNS:
            present = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            if column not in present:
                self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")

    # -- meta ---------------------------------------------------------------
    def get_meta(self, name: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, name: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO meta (name, value) VALUES (?, ?) "
            "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            (name, value),
        )

    # -- users and clients --------------------------------------------------
    def upsert_user(self, user: User) -> None:
        self._db.execute(
            "INSERT INTO users (sub, email, name, org, scopes, password_hash) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(sub) DO UPDATE SET email = excluded.email, "
            "name = excluded.name, org = excluded.org, scopes = excluded.scopes, "
            "password_hash = excluded.password_hash",
            (user.sub, user.email, user.name, user.org, _join(user.scopes), user.password_hash),
        )

    def _user(self, where: str, value: str) -> User | None:
        if not storable(value):
            return None  # nothing stored can equal it (and SQLite could not take it)
        row = self._db.execute(
            f"SELECT sub, email, name, org, scopes, password_hash FROM users WHERE {where} = ?",  # noqa: S608 (column names are constants)
            (value,),
        ).fetchone()
        if row is None:
            return None
        return User(row[0], row[1], row[2], row[3], _split(row[4]), row[5])

    def user_by_email(self, email: str) -> User | None:
        return self._user("lower(email)", email.strip().lower())

    def user_by_sub(self, sub: str) -> User | None:
        return self._user("sub", sub)

    def upsert_client(self, client: Client) -> None:
        self._db.execute(
            "INSERT INTO clients (client_id, name, kind, secret_hash, scopes, redirect_uris, "
            "grant_types, org) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(client_id) DO UPDATE "
            "SET name = excluded.name, kind = excluded.kind, secret_hash = excluded.secret_hash, "
            "scopes = excluded.scopes, redirect_uris = excluded.redirect_uris, "
            "grant_types = excluded.grant_types, org = excluded.org",
            (
                client.client_id,
                client.name,
                client.kind,
                client.secret_hash,
                _join(client.scopes),
                json.dumps(list(client.redirect_uris)),
                _join(client.grant_types),
                client.org,
            ),
        )

    def client(self, client_id: str) -> Client | None:
        row = self._db.execute(
            "SELECT client_id, name, kind, secret_hash, scopes, redirect_uris, grant_types, org "
            "FROM clients WHERE client_id = ?",
            (client_id,),
        ).fetchone()
        if row is None:
            app = self.oauth_app_by_client_id(client_id)
            return None if app is None else app.as_client()
        return Client(
            client_id=row[0],
            name=row[1],
            kind=row[2],
            secret_hash=row[3],
            scopes=_split(row[4]),
            redirect_uris=tuple(json.loads(row[5])),
            grant_types=_split(row[6]),
            org=row[7],
        )

    # -- OAuth applications ---------------------------------------------------
    def insert_oauth_app(
        self,
        *,
        app_id: str,
        client_id: str,
        name: str,
        application_type: str,
        redirect_uris: Sequence[str],
        scopes: Sequence[str],
        secret_hash: str | None,
        secret_hint: str | None,
        created_at: float,
        owner_sub: str,
        created_by: str,
        org: str,
    ) -> OAuthAppRow:
        self._db.execute(
            "INSERT INTO oauth_apps (id, client_id, name, application_type, redirect_uris, "
            "scopes, secret_hash, secret_hint, created_at, owner_sub, created_by, org) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                app_id,
                client_id,
                name,
                application_type,
                json.dumps(list(redirect_uris)),
                _join(scopes),
                secret_hash,
                secret_hint,
                created_at,
                owner_sub,
                created_by,
                org,
            ),
        )
        row = self.oauth_app_by_id(app_id)
        assert row is not None
        return row

    def _oauth_app_where(self, column: str, value: str) -> OAuthAppRow | None:
        row = self._db.execute(
            f"SELECT {_APP_COLUMNS} FROM oauth_apps WHERE {column} = ?",  # noqa: S608 (constants)
            (value,),
        ).fetchone()
        return None if row is None else _oauth_app(row)

    def oauth_app_by_id(self, app_id: str) -> OAuthAppRow | None:
        return self._oauth_app_where("id", app_id)

    def oauth_app_by_client_id(self, client_id: str) -> OAuthAppRow | None:
        return self._oauth_app_where("client_id", client_id)

    def list_oauth_apps(
        self, *, owner_sub: str | None, org: str, before_seq: int | None, limit: int
    ) -> list[OAuthAppRow]:
        """Newest first by insertion sequence, like :meth:`list_api_keys` (stable pages)."""
        if owner_sub is not None:
            clauses = ["owner_sub = ?"]
            params: list[Any] = [owner_sub]
        else:
            clauses = ["org = ?"]
            params = [org]
        if before_seq is not None:
            clauses.append("seq < ?")
            params.append(before_seq)
        params.append(limit)
        rows = self._db.execute(
            f"SELECT {_APP_COLUMNS} FROM oauth_apps WHERE {' AND '.join(clauses)} "  # noqa: S608
            "ORDER BY seq DESC LIMIT ?",
            params,
        ).fetchall()
        return [_oauth_app(row) for row in rows]

    def update_oauth_app(
        self, app_id: str, *, name: str, redirect_uris: Sequence[str], scopes: Sequence[str]
    ) -> None:
        self._db.execute(
            "UPDATE oauth_apps SET name = ?, redirect_uris = ?, scopes = ? WHERE id = ?",
            (name, json.dumps(list(redirect_uris)), _join(scopes), app_id),
        )

    def set_oauth_app_secret(
        self,
        app_id: str,
        *,
        secret_hash: str,
        secret_hint: str,
        previous_secret_hash: str | None,
        previous_secret_expires_at: float | None,
    ) -> None:
        self._db.execute(
            "UPDATE oauth_apps SET secret_hash = ?, secret_hint = ?, previous_secret_hash = ?, "
            "previous_secret_expires_at = ? WHERE id = ?",
            (secret_hash, secret_hint, previous_secret_hash, previous_secret_expires_at, app_id),
        )

    def revoke_client_tokens(
        self, client_id: str, revoked_at: float, *, refresh_scopes_outside: Sequence[str] | None
    ) -> None:
        """Revoke every access token issued to ``client_id`` and its refresh tokens: all of
        them, or (``refresh_scopes_outside`` given) those carrying a scope not in it."""
        with self._db:
            self._db.execute("BEGIN")
            self._revoke_client_tokens(client_id, revoked_at, refresh_scopes_outside)

    def _revoke_client_tokens(
        self, client_id: str, revoked_at: float, keep_within: Sequence[str] | None
    ) -> None:
        self._db.execute(
            "UPDATE access_tokens SET revoked_at = ? WHERE client_id = ? AND revoked_at IS NULL",
            (revoked_at, client_id),
        )
        if keep_within is None:
            self._db.execute(
                "UPDATE refresh_tokens SET revoked_at = ? WHERE client_id = ? "
                "AND revoked_at IS NULL",
                (revoked_at, client_id),
            )
            return
        allowed = set(keep_within)
        rows = self._db.execute(
            "SELECT token_hash, scopes FROM refresh_tokens WHERE client_id = ? "
            "AND revoked_at IS NULL",
            (client_id,),
        ).fetchall()
        beyond = [(revoked_at, row[0]) for row in rows if not set(_split(row[1])) <= allowed]
        self._db.executemany(
            "UPDATE refresh_tokens SET revoked_at = ? WHERE token_hash = ?", beyond
        )

    def delete_oauth_app(self, app_id: str, client_id: str, revoked_at: float) -> None:
        """Forget the app (its client id stops working) and revoke everything it was issued,
        in one transaction."""
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute("DELETE FROM oauth_apps WHERE id = ?", (app_id,))
            self._db.execute("DELETE FROM auth_codes WHERE client_id = ?", (client_id,))
            self._revoke_client_tokens(client_id, revoked_at, None)

    # -- signing keys ---------------------------------------------------------
    def add_signing_key(self, kid: str, private_pem: str, created_at: float) -> None:
        self._db.execute(
            "INSERT INTO signing_keys (kid, private_pem, created_at) VALUES (?, ?, ?)",
            (kid, private_pem, created_at),
        )

    def retire_signing_keys(self, except_kid: str, retired_at: float) -> None:
        self._db.execute(
            "UPDATE signing_keys SET retired_at = ? WHERE kid != ? AND retired_at IS NULL",
            (retired_at, except_kid),
        )

    def signing_keys(self) -> list[SigningKeyRow]:
        rows = self._db.execute(
            "SELECT kid, private_pem, created_at, retired_at FROM signing_keys "
            "ORDER BY created_at DESC, rowid DESC"
        ).fetchall()
        return [SigningKeyRow(*row) for row in rows]

    # -- API keys -------------------------------------------------------------
    def insert_api_keys(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """Insert (id, name, prefix, key_hash, scopes, created_at, expires_at, owner_sub,
        created_by, org) tuples in one transaction."""
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT INTO api_keys (id, name, prefix, key_hash, scopes, created_at, "
                "expires_at, owner_sub, created_by, org) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def api_key_by_id(self, key_id: str) -> ApiKeyRow | None:
        if not storable(key_id):
            return None
        row = self._db.execute(
            f"SELECT {_API_KEY_COLUMNS} FROM api_keys WHERE id = ?",  # noqa: S608
            (key_id,),
        ).fetchone()
        return None if row is None else _api_key(row)

    def api_key_by_hash(self, key_hash: str) -> ApiKeyRow | None:
        row = self._db.execute(
            f"SELECT {_API_KEY_COLUMNS} FROM api_keys WHERE key_hash = ?",  # noqa: S608
            (key_hash,),
        ).fetchone()
        return None if row is None else _api_key(row)

    def list_api_keys(
        self, *, owner_sub: str | None, org: str, before_seq: int | None, limit: int
    ) -> list[ApiKeyRow]:
        """Newest first (by insertion sequence), keys older than ``before_seq``: keys
        created while a client pages get higher sequence numbers, so they never shift
        the pages that follow (no duplicates, no gaps)."""
        # One equality column plus seq, so SQLite walks one index backwards
        # (an owner belongs to exactly one org).
        if owner_sub is not None:
            clauses = ["owner_sub = ?"]
            params: list[Any] = [owner_sub]
        else:
            clauses = ["org = ?"]
            params = [org]
        if before_seq is not None:
            clauses.append("seq < ?")
            params.append(before_seq)
        params.append(limit)
        rows = self._db.execute(
            f"SELECT {_API_KEY_COLUMNS} FROM api_keys WHERE {' AND '.join(clauses)} "  # noqa: S608
            "ORDER BY seq DESC LIMIT ?",
            params,
        ).fetchall()
        return [_api_key(row) for row in rows]

    def revoke_api_key(self, key_id: str, revoked_at: float) -> None:
        self._db.execute(
            "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            (revoked_at, key_id),
        )

    # -- authorization codes --------------------------------------------------
    def insert_code(
        self,
        code_hash: str,
        *,
        client_id: str,
        redirect_uri: str,
        sub: str,
        scopes: Sequence[str],
        code_challenge: str | None,
        expires_at: float,
        family_id: str,
    ) -> None:
        self._db.execute(
            "INSERT INTO auth_codes (code_hash, client_id, redirect_uri, sub, scopes, "
            "code_challenge, expires_at, family_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                code_hash,
                client_id,
                redirect_uri,
                sub,
                _join(scopes),
                code_challenge,
                expires_at,
                family_id,
            ),
        )

    def code(self, code_hash: str) -> AuthCodeRow | None:
        row = self._db.execute(
            "SELECT client_id, redirect_uri, sub, scopes, code_challenge, expires_at, used_at, "
            "family_id FROM auth_codes WHERE code_hash = ?",
            (code_hash,),
        ).fetchone()
        if row is None:
            return None
        return AuthCodeRow(row[0], row[1], row[2], _split(row[3]), row[4], row[5], row[6], row[7])

    def mark_code_used(self, code_hash: str, used_at: float) -> bool:
        """True if this call spent the code (it was unused)."""
        cursor = self._db.execute(
            "UPDATE auth_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL",
            (used_at, code_hash),
        )
        return cursor.rowcount == 1

    # -- refresh and access tokens ----------------------------------------------
    def insert_refresh_token(
        self,
        token_hash: str,
        *,
        family_id: str,
        client_id: str,
        sub: str,
        scopes: Sequence[str],
        issued_at: float,
        expires_at: float,
        access_jti: str | None = None,
    ) -> None:
        self._db.execute(
            "INSERT INTO refresh_tokens (token_hash, family_id, client_id, sub, scopes, "
            "issued_at, expires_at, access_jti) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                token_hash,
                family_id,
                client_id,
                sub,
                _join(scopes),
                issued_at,
                expires_at,
                access_jti,
            ),
        )

    def refresh_token(self, token_hash: str) -> RefreshTokenRow | None:
        row = self._db.execute(
            "SELECT token_hash, family_id, client_id, sub, scopes, expires_at, used_at, "
            "revoked_at, replaced_by, access_jti FROM refresh_tokens WHERE token_hash = ?",
            (token_hash,),
        ).fetchone()
        if row is None:
            return None
        return RefreshTokenRow(row[0], row[1], row[2], row[3], _split(row[4]), *row[5:])

    def set_refresh_successor(self, token_hash: str, successor_hash: str) -> None:
        """Record what ``token_hash`` was rotated into (its latest successor)."""
        self._db.execute(
            "UPDATE refresh_tokens SET replaced_by = ? WHERE token_hash = ?",
            (successor_hash, token_hash),
        )

    def revoke_refresh_token(self, token_hash: str, revoked_at: float) -> None:
        """Revoke one refresh token and the access token issued with it (not the family)."""
        with self._db:
            self._db.execute("BEGIN")
            row = self._db.execute(
                "SELECT access_jti FROM refresh_tokens WHERE token_hash = ?", (token_hash,)
            ).fetchone()
            self._db.execute(
                "UPDATE refresh_tokens SET revoked_at = ? WHERE token_hash = ? "
                "AND revoked_at IS NULL",
                (revoked_at, token_hash),
            )
            if row is not None and row[0] is not None:
                self._db.execute(
                    "UPDATE access_tokens SET revoked_at = ? WHERE jti = ? AND revoked_at IS NULL",
                    (revoked_at, row[0]),
                )

    def mark_refresh_used(self, token_hash: str, used_at: float) -> bool:
        cursor = self._db.execute(
            "UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL "
            "AND revoked_at IS NULL",
            (used_at, token_hash),
        )
        return cursor.rowcount == 1

    def revoke_family(self, family_id: str, revoked_at: float) -> None:
        """Revoke every refresh token and access token of one grant."""
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute(
                "UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? "
                "AND revoked_at IS NULL",
                (revoked_at, family_id),
            )
            self._db.execute(
                "UPDATE access_tokens SET revoked_at = ? WHERE family_id = ? "
                "AND revoked_at IS NULL",
                (revoked_at, family_id),
            )

    def insert_access_token(
        self, jti: str, *, family_id: str | None, client_id: str, sub: str, expires_at: float
    ) -> None:
        self._db.execute(
            "INSERT INTO access_tokens (jti, family_id, client_id, sub, expires_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (jti, family_id, client_id, sub, expires_at),
        )

    def access_token_state(self, jti: str) -> tuple[str, float | None] | None:
        """(client_id, revoked_at) of an issued access token, or None if never issued here."""
        row = self._db.execute(
            "SELECT client_id, revoked_at FROM access_tokens WHERE jti = ?", (jti,)
        ).fetchone()
        return None if row is None else (str(row[0]), row[1])

    def revoke_access_token(self, jti: str, revoked_at: float) -> None:
        self._db.execute(
            "UPDATE access_tokens SET revoked_at = ? WHERE jti = ? AND revoked_at IS NULL",
            (revoked_at, jti),
        )

    def prune(self, now: float) -> None:
        """Forget spent codes and long-expired tokens so a long-lived data file stays small."""
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute("DELETE FROM auth_codes WHERE expires_at < ?", (now - 3600,))
            self._db.execute("DELETE FROM access_tokens WHERE expires_at < ?", (now - 3600,))
            self._db.execute("DELETE FROM refresh_tokens WHERE expires_at < ?", (now - 3600,))
            self._db.execute(
                "DELETE FROM api_key_usage WHERE day < ?",
                (usage_day(now - USAGE_RETENTION_DAYS * 86400),),
            )

    # -- key usage ------------------------------------------------------------------------
    # One counter row per (key, UTC day, endpoint); api_keys.last_used_at/_ip follow the
    # same record, written in the same transaction.

    def record_key_use(
        self, key_id: str, *, endpoint: str, error: bool, used_at: float, address: str | None
    ) -> None:
        """Count one request made with a key: one upsert, one update, one commit."""
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute(
                "INSERT INTO api_key_usage (key_id, day, endpoint, requests, errors) "
                "VALUES (?, ?, ?, 1, ?) ON CONFLICT (key_id, day, endpoint) DO UPDATE SET "
                "requests = requests + 1, errors = errors + excluded.errors",
                (key_id, usage_day(used_at), endpoint, int(error)),
            )
            self._db.execute(
                "UPDATE api_keys SET last_used_at = ?, last_used_ip = ? WHERE id = ?",
                (used_at, address, key_id),
            )

    def key_usage_by_day(
        self, key_id: str, first_day: str, last_day: str
    ) -> dict[str, tuple[int, int]]:
        """{day: (requests, errors)} for the days in ``first_day..last_day`` with any use."""
        rows = self._db.execute(
            "SELECT day, SUM(requests), SUM(errors) FROM api_key_usage "
            "WHERE key_id = ? AND day BETWEEN ? AND ? GROUP BY day",
            (key_id, first_day, last_day),
        ).fetchall()
        return {str(day): (int(requests), int(errors)) for day, requests, errors in rows}

    def key_usage_by_endpoint(self, key_id: str, first_day: str, last_day: str) -> dict[str, int]:
        """{endpoint: requests} over ``first_day..last_day``, busiest first."""
        rows = self._db.execute(
            "SELECT endpoint, SUM(requests) AS total FROM api_key_usage "
            "WHERE key_id = ? AND day BETWEEN ? AND ? GROUP BY endpoint "
            "ORDER BY total DESC, endpoint",
            (key_id, first_day, last_day),
        ).fetchall()
        return {str(endpoint): int(total) for endpoint, total in rows}

    def key_last_use(self, key_id: str) -> tuple[float | None, str | None]:
        row = self._db.execute(
            "SELECT last_used_at, last_used_ip FROM api_keys WHERE id = ?", (key_id,)
        ).fetchone()
        return (None, None) if row is None else (row[0], row[1])

    def put_key_usage(
        self,
        key_id: str,
        rows: Iterable[tuple[str, str, int, int]],
        *,
        last_used_at: float | None,
        last_used_ip: str | None,
    ) -> None:
        """Set (day, endpoint, requests, errors) counters of one key, replacing those days'
        values, and its last use when later than the one recorded (seeded history)."""
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT INTO api_key_usage (key_id, day, endpoint, requests, errors) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (key_id, day, endpoint) DO UPDATE SET "
                "requests = excluded.requests, errors = excluded.errors",
                [(key_id, *row) for row in rows],
            )
            if last_used_at is not None:
                self._db.execute(
                    "UPDATE api_keys SET last_used_at = ?, last_used_ip = ? WHERE id = ? "
                    "AND (last_used_at IS NULL OR last_used_at < ?)",
                    (last_used_at, last_used_ip, key_id, last_used_at),
                )


def usage_day(timestamp: float) -> str:
    """The UTC day of ``timestamp`` as ``YYYY-MM-DD``: the key-usage counters' bucket."""
    return time.strftime("%Y-%m-%d", time.gmtime(timestamp))
