"""Accounts, API tokens, sessions and linked identities, kept in the private accounts graph.

Everything lives in one named graph (:data:`kg.graph.ACCOUNTS_GRAPH`) that is never registered, so it is
never part of the public dataset: REST, SPARQL, linked data and public exports cannot read it. Each change
is one :class:`~kg.store.ChangeSet` (one transaction). Nothing is cached in the process, so several server
processes sharing one store see each other's logins, logouts and revocations at once.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pyoxigraph as ox
from rdflib import RDF, XSD, URIRef
from rdflib.namespace import DCTERMS, FOAF

from kg.accounts import passwords
from kg.accounts.credentials import hash_secret, new_token, parse_token, secret_matches
from kg.accounts.model import Account, Identity, IssuedToken, TokenInfo
from kg.errors import Conflict, Forbidden, InvalidInput, NotFound
from kg.graph import ACCOUNTS_GRAPH
from kg.permissions import Principal, Role, Scope, scopes_allowed
from kg.store import ChangeSet, GraphStore
from ontology.vocab import LC, LCD, SCHEMA

_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LAST_USED_EVERY = timedelta(minutes=1)
"""Record a token's last use at most this often: a write per request would make every read a write."""

OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal
Props = dict[str, list[OxTerm]]
_G = ox.NamedNode(str(ACCOUNTS_GRAPH))


def _n(iri: URIRef | str) -> ox.NamedNode:
    return ox.NamedNode(str(iri))


def now_utc() -> datetime:
    """Return the current time in UTC, to the second (what the store records)."""
    return datetime.now(UTC).replace(microsecond=0)


def _dt(value: datetime) -> ox.Literal:
    return ox.Literal(value.astimezone(UTC).isoformat(), datatype=_n(XSD.dateTime))


def _bool(value: bool) -> ox.Literal:
    return ox.Literal("true" if value else "false", datatype=_n(XSD.boolean))


def _str(value: str) -> ox.Literal:
    return ox.Literal(value)


def _q(subject: ox.NamedNode, predicate: URIRef, obj: OxTerm) -> ox.Quad:
    return ox.Quad(subject, _n(predicate), obj, _G)


def account_iri(account_id: str) -> ox.NamedNode:
    """Return the IRI of an account."""
    return _n(LCD[f"account/{account_id}"])


def token_iri(token_id: str) -> ox.NamedNode:
    """Return the IRI of an API token record."""
    return _n(LCD[f"token/{token_id}"])


def session_iri(session_key: str) -> ox.NamedNode:
    """Return the IRI of a session record: a hash of the key, so the store never holds a usable key."""
    return _n(LCD[f"session/{hashlib.sha256(session_key.encode()).hexdigest()[:32]}"])


def identity_iri(issuer: str, subject: str) -> ox.NamedNode:
    """Return the IRI of a linked OpenID identity."""
    digest = hashlib.sha256(f"{issuer}\n{subject}".encode()).hexdigest()[:32]
    return _n(LCD[f"identity/{digest}"])


def _first(props: Props, predicate: URIRef) -> str | None:
    values = props.get(str(predicate), [])
    return values[0].value if values else None


def _time(props: Props, predicate: URIRef) -> datetime | None:
    value = _first(props, predicate)
    return datetime.fromisoformat(value) if value else None


def check_account_id(account_id: str) -> str:
    """Return ``account_id`` when it is a valid slug, or raise :class:`InvalidInput`."""
    if not (1 <= len(account_id) <= 40) or not _SLUG.match(account_id):
        raise InvalidInput(
            f"invalid account id {account_id!r}: use 1-40 lower-case letters, digits and single hyphens",
            where="id",
        )
    return account_id


def normalise_email(email: str | None) -> str | None:
    """Return the e-mail address in lower case, or raise :class:`InvalidInput` when it is not one."""
    if email is None or not email.strip():
        return None
    email = email.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise InvalidInput(f"invalid e-mail address {email!r}", where="email")
    return email


def slugify(text: str) -> str:
    """Turn a name or e-mail local part into an account-id candidate."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.casefold()).strip("-")
    return slug[:40].strip("-") or "user"


class AccountStore:
    """Reads and writes accounts and their credentials in the private accounts graph.

    Args:
        store: the graph store (the same one the knowledge graph uses).
    """

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self._lock = threading.Lock()

    # ------------------------------------------------------------------------------ reading

    def _props(self, subject: ox.NamedNode) -> Props:
        out: Props = defaultdict(list)
        for q in self.store.quads(subject, None, None, _G):
            if not isinstance(q.object, ox.Triple):
                out[q.predicate.value].append(q.object)
        return out

    def _old(self, subject: ox.NamedNode, *predicates: URIRef) -> list[ox.Quad]:
        """Return the quads of ``subject`` (only those with ``predicates``, when given)."""
        if not predicates:
            return list(self.store.quads(subject, None, None, _G))
        return [q for p in predicates for q in self.store.quads(subject, _n(p), None, _G)]

    def _subjects(self, predicate: URIRef, obj: OxTerm) -> list[ox.NamedNode]:
        return [
            q.subject
            for q in self.store.quads(None, _n(predicate), obj, _G)
            if isinstance(q.subject, ox.NamedNode)
        ]

    def _account(self, subject: ox.NamedNode, props: Props) -> Account:
        identities = []
        for ident in self._subjects(LC.ofAccount, subject):
            ip = self._props(ident)
            if str(LC.ExternalIdentity) in {t.value for t in ip.get(str(RDF.type), [])}:
                identities.append(
                    Identity(
                        issuer=_first(ip, LC.oidcIssuer) or "",
                        subject=_first(ip, LC.oidcSubject) or "",
                        created=_time(ip, DCTERMS.created),
                    )
                )
        roles = frozenset(Role(t.value) for t in props.get(str(LC.accountRole), []) if t.value in set(Role))
        return Account(
            id=_first(props, DCTERMS.identifier) or "",
            name=_first(props, FOAF.name) or "",
            email=_first(props, SCHEMA.email),
            roles=roles,
            trusted=_first(props, LC.trusted) == "true",
            disabled=_first(props, LC.disabled) == "true",
            created=_time(props, DCTERMS.created) or now_utc(),
            has_password=bool(_first(props, LC.passwordHash)),
            identities=tuple(sorted(identities, key=lambda i: (i.issuer, i.subject))),
        )

    def get(self, account_id: str) -> Account:
        """Return one account or raise :class:`NotFound`."""
        subject = account_iri(account_id) if _SLUG.match(account_id) else None
        props = self._props(subject) if subject is not None else {}
        if subject is None or str(LC.Account) not in {t.value for t in props.get(str(RDF.type), [])}:
            raise NotFound(f"no account {account_id!r}", where="id")
        return self._account(subject, props)

    def find(self, login: str) -> Account | None:
        """Return the account whose id or e-mail address is ``login``, if any."""
        login = login.strip().lower()
        if _SLUG.match(login):
            try:
                return self.get(login)
            except NotFound:
                pass
        if "@" in login:
            for subject in self._subjects(SCHEMA.email, _str(login)):
                props = self._props(subject)
                if _first(props, DCTERMS.identifier):
                    return self._account(subject, props)
        return None

    def accounts(self) -> list[Account]:
        """Return every account, by id."""
        accounts = [self._account(s, self._props(s)) for s in self._subjects(RDF.type, _n(LC.Account))]
        return sorted(accounts, key=lambda a: a.id)

    # ------------------------------------------------------------------------------ accounts

    def create(
        self,
        account_id: str,
        *,
        name: str,
        email: str | None = None,
        roles: Iterable[Role] = (),
        password: str | None = None,
        trusted: bool = False,
    ) -> Account:
        """Create an account in one transaction; raise :class:`Conflict` when the id or e-mail is taken."""
        check_account_id(account_id)
        name = name.strip()
        if not name or len(name) > 200:
            raise InvalidInput("give a display name of 1-200 characters", where="name")
        email = normalise_email(email)
        password_hash = passwords.hash_password(password) if password is not None else None
        subject = account_iri(account_id)
        with self._lock:
            if self._old(subject):
                raise Conflict(f"the account id {account_id!r} is taken", where="id")
            if email and self._subjects(SCHEMA.email, _str(email)):
                raise Conflict(f"another account already uses {email}", where="email")
            add = [
                _q(subject, RDF.type, _n(LC.Account)),
                _q(subject, DCTERMS.identifier, _str(account_id)),
                _q(subject, FOAF.name, _str(name)),
                _q(subject, LC.trusted, _bool(trusted)),
                _q(subject, LC.disabled, _bool(False)),
                _q(subject, DCTERMS.created, _dt(now_utc())),
            ]
            add += [_q(subject, LC.accountRole, _str(r.value)) for r in sorted(set(roles))]
            if email:
                add.append(_q(subject, SCHEMA.email, _str(email)))
            if password_hash:
                add.append(_q(subject, LC.passwordHash, _str(password_hash)))
            self.store.apply(ChangeSet(add=add))
        return self.get(account_id)

    def _replace(self, account_id: str, predicate: URIRef, values: Iterable[OxTerm]) -> Account:
        """Replace every value of one property of an account in one transaction."""
        self.get(account_id)
        subject = account_iri(account_id)
        with self._lock:
            remove = self._old(subject, predicate)
            self.store.apply(ChangeSet(remove=remove, add=[_q(subject, predicate, v) for v in values]))
        return self.get(account_id)

    def set_roles(self, account_id: str, *, add: Iterable[Role] = (), remove: Iterable[Role] = ()) -> Account:
        """Add and remove roles of an account (its tokens lose whatever the removed roles granted)."""
        roles = (set(self.get(account_id).roles) | set(add)) - set(remove)
        return self._replace(account_id, LC.accountRole, [_str(r.value) for r in sorted(roles)])

    def set_trusted(self, account_id: str, trusted: bool = True) -> Account:
        """Mark an account trusted (or not)."""
        return self._replace(account_id, LC.trusted, [_bool(trusted)])

    def set_name(self, account_id: str, name: str) -> Account:
        """Change an account's display name."""
        if not name.strip() or len(name) > 200:
            raise InvalidInput("give a display name of 1-200 characters", where="name")
        return self._replace(account_id, FOAF.name, [_str(name.strip())])

    def set_disabled(self, account_id: str, disabled: bool = True) -> Account:
        """Disable (or enable) an account; disabling also revokes its sessions, in the same transaction."""
        self.get(account_id)
        subject = account_iri(account_id)
        now = now_utc()
        with self._lock:
            change = ChangeSet(
                remove=self._old(subject, LC.disabled), add=[_q(subject, LC.disabled, _bool(disabled))]
            )
            if disabled:
                for s in self._subjects(LC.ofAccount, subject):
                    props = self._props(s)
                    is_session = str(LC.Session) in {t.value for t in props.get(str(RDF.type), [])}
                    if is_session and not _first(props, LC.revokedAt):
                        change.add.append(_q(s, LC.revokedAt, _dt(now)))
            self.store.apply(change)
        return self.get(account_id)

    def set_password(self, account_id: str, password: str) -> Account:
        """Set an account's password (checked against the policy, stored as an argon2id hash)."""
        return self._replace(account_id, LC.passwordHash, [_str(passwords.hash_password(password))])

    def authenticate_password(self, login: str, password: str) -> Account | None:
        """Return the enabled account whose id or e-mail is ``login`` and whose password matches.

        Takes as long for an unknown login as for a wrong password. Rehashes the password when the hashing
        parameters changed since it was stored.
        """
        account = self.find(login) if len(login) <= 254 else None
        stored = _first(self._props(account_iri(account.id)), LC.passwordHash) if account else None
        if not passwords.verify_password(stored, password) or account is None or stored is None:
            return None
        if account.disabled:
            return None
        if passwords.needs_rehash(stored):
            self._replace(account.id, LC.passwordHash, [_str(passwords.rehash(password))])
        return account

    # ------------------------------------------------------------------------------ API tokens

    def _token(self, props: Props) -> TokenInfo:
        account = _first(props, LC.ofAccount) or ""
        return TokenInfo(
            id=_first(props, DCTERMS.identifier) or "",
            account_id=account.rsplit("/", 1)[-1],
            scopes=frozenset(
                Scope(t.value) for t in props.get(str(LC.tokenScope), []) if t.value in set(Scope)
            ),
            created=_time(props, DCTERMS.created) or now_utc(),
            expires=_time(props, LC.expiresAt),
            last_used=_time(props, LC.lastUsedAt),
            revoked=_time(props, LC.revokedAt),
            note=_first(props, DCTERMS.description),
        )

    def create_token(
        self,
        account_id: str,
        scopes: frozenset[Scope],
        *,
        expires_in: timedelta | None = None,
        note: str | None = None,
    ) -> IssuedToken:
        """Make an API token for an account; raise :class:`Forbidden` if a scope exceeds its roles."""
        account = self.get(account_id)
        if account.disabled:
            raise Forbidden(f"the account {account_id!r} is disabled", where="id")
        if not scopes:
            raise InvalidInput("give at least one scope", where="scope")
        too_much = scopes - scopes_allowed(account.roles)
        if too_much:
            allowed = ", ".join(sorted(scopes_allowed(account.roles)))
            raise Forbidden(
                f"scope {', '.join(sorted(too_much))} exceeds the roles of {account_id!r}; "
                f"allowed: {allowed}",
                where="scope",
            )
        if expires_in is not None and expires_in <= timedelta(0):
            raise InvalidInput("the expiry must lie in the future", where="expires")
        token_id, secret, token = new_token()
        subject = token_iri(token_id)
        now = now_utc()
        add = [
            _q(subject, RDF.type, _n(LC.ApiToken)),
            _q(subject, DCTERMS.identifier, _str(token_id)),
            _q(subject, LC.ofAccount, account_iri(account_id)),
            _q(subject, LC.secretHash, _str(hash_secret(secret))),
            _q(subject, DCTERMS.created, _dt(now)),
        ]
        add += [_q(subject, LC.tokenScope, _str(s.value)) for s in sorted(scopes)]
        if expires_in is not None:
            add.append(_q(subject, LC.expiresAt, _dt(now + expires_in)))
        if note:
            add.append(_q(subject, DCTERMS.description, _str(note[:200])))
        with self._lock:
            self.store.apply(ChangeSet(add=add))
        return IssuedToken(info=self.token(token_id), token=token)

    def token(self, token_id: str) -> TokenInfo:
        """Return one token record or raise :class:`NotFound`."""
        props = self._props(token_iri(token_id)) if re.fullmatch(r"[0-9a-f]{12}", token_id) else {}
        if str(LC.ApiToken) not in {t.value for t in props.get(str(RDF.type), [])}:
            raise NotFound(f"no token {token_id!r}", where="token")
        return self._token(props)

    def tokens(self, account_id: str) -> list[TokenInfo]:
        """Return the tokens of an account, newest first."""
        self.get(account_id)
        out = []
        for s in self._subjects(LC.ofAccount, account_iri(account_id)):
            props = self._props(s)
            if str(LC.ApiToken) in {t.value for t in props.get(str(RDF.type), [])}:
                out.append(self._token(props))
        return sorted(out, key=lambda t: (t.created, t.id), reverse=True)

    def revoke_token(self, token_id: str) -> TokenInfo:
        """Revoke a token (from now on it is refused); revoking twice keeps the first time."""
        info = self.token(token_id)
        if info.revoked is None:
            with self._lock:
                self.store.apply(ChangeSet(add=[_q(token_iri(token_id), LC.revokedAt, _dt(now_utc()))]))
        return self.token(token_id)

    def authenticate_token(self, token: str) -> Principal | None:
        """Return the principal of a presented API token, or ``None`` if it is unknown, wrong or unusable.

        Refused: a malformed token, an unknown id, a wrong secret, a revoked or expired token, a disabled
        account. The principal's permissions are the account's current roles limited by the token's scopes.
        """
        parsed = parse_token(token)
        if parsed is None:
            return None
        token_id, secret = parsed
        subject = token_iri(token_id)
        props = self._props(subject)
        stored = _first(props, LC.secretHash)
        if stored is None or not secret_matches(stored, secret):
            return None
        info = self._token(props)
        now = now_utc()
        if info.state(now) != "active":
            return None
        try:
            account = self.get(info.account_id)
        except NotFound:
            return None
        if account.disabled:
            return None
        if info.last_used is None or now - info.last_used >= LAST_USED_EVERY:
            with self._lock:
                old = self._old(subject, LC.lastUsedAt)
                self.store.apply(ChangeSet(remove=old, add=[_q(subject, LC.lastUsedAt, _dt(now))]))
        return account.principal("token", scopes=info.scopes, credential_id=token_id)

    # ------------------------------------------------------------------------------ sessions

    def create_session(self, account_id: str, *, ttl: timedelta, session_key: str) -> None:
        """Record a browser session of an account under ``session_key`` (kept only as a hash)."""
        account = self.get(account_id)
        if account.disabled:
            raise Forbidden(f"the account {account_id!r} is disabled", where="id")
        subject = session_iri(session_key)
        now = now_utc()
        add = [
            _q(subject, RDF.type, _n(LC.Session)),
            _q(subject, LC.ofAccount, account_iri(account_id)),
            _q(subject, DCTERMS.created, _dt(now)),
            _q(subject, LC.expiresAt, _dt(now + ttl)),
        ]
        with self._lock:
            self.store.apply(ChangeSet(add=add))

    def session_principal(self, session_key: str) -> Principal | None:
        """Return the principal of a live session; ``None`` if unknown, expired, revoked or disabled."""
        props = self._props(session_iri(session_key))
        if str(LC.Session) not in {t.value for t in props.get(str(RDF.type), [])}:
            return None
        expires = _time(props, LC.expiresAt)
        if _first(props, LC.revokedAt) or expires is None or expires <= now_utc():
            return None
        account_ref = _first(props, LC.ofAccount) or ""
        try:
            account = self.get(account_ref.rsplit("/", 1)[-1])
        except NotFound:
            return None
        if account.disabled:
            return None
        return account.principal("session", credential_id=session_iri(session_key).value.rsplit("/", 1)[-1])

    def revoke_session(self, session_key: str) -> bool:
        """Revoke a session (logout); tell whether there was a live one."""
        subject = session_iri(session_key)
        props = self._props(subject)
        if str(LC.Session) not in {t.value for t in props.get(str(RDF.type), [])} or _first(
            props, LC.revokedAt
        ):
            return False
        with self._lock:
            self.store.apply(ChangeSet(add=[_q(subject, LC.revokedAt, _dt(now_utc()))]))
        return True

    def purge_sessions(self, *, older_than: timedelta = timedelta(days=1)) -> int:
        """Delete session records that expired or were revoked more than ``older_than`` ago."""
        cutoff = now_utc() - older_than
        remove: list[ox.Quad] = []
        for s in self._subjects(RDF.type, _n(LC.Session)):
            props = self._props(s)
            ended = _time(props, LC.revokedAt) or _time(props, LC.expiresAt)
            if ended is not None and ended < cutoff:
                remove += self._old(s)
        if remove:
            with self._lock:
                self.store.apply(ChangeSet(remove=remove))
        return len({q.subject for q in remove})

    # ------------------------------------------------------------------------------ OpenID identities

    def find_by_identity(self, issuer: str, subject: str) -> Account | None:
        """Return the account linked to the OpenID identity (issuer, subject), if any."""
        props = self._props(identity_iri(issuer, subject))
        if _first(props, LC.oidcIssuer) != issuer or _first(props, LC.oidcSubject) != subject:
            return None
        account_ref = _first(props, LC.ofAccount)
        if account_ref is None:
            return None
        try:
            return self.get(account_ref.rsplit("/", 1)[-1])
        except NotFound:
            return None

    def link_identity(self, account_id: str, issuer: str, subject: str) -> Account:
        """Link an OpenID identity to an account; raise :class:`Conflict` if another account has it."""
        self.get(account_id)
        if not issuer or not subject or len(issuer) > 500 or len(subject) > 255:
            raise InvalidInput("an OpenID identity needs an issuer and a subject", where="identity")
        linked = self.find_by_identity(issuer, subject)
        if linked is not None and linked.id != account_id:
            raise Conflict("this sign-in identity is linked to another account", where="identity")
        if linked is None:
            node = identity_iri(issuer, subject)
            add = [
                _q(node, RDF.type, _n(LC.ExternalIdentity)),
                _q(node, LC.ofAccount, account_iri(account_id)),
                _q(node, LC.oidcIssuer, _str(issuer)),
                _q(node, LC.oidcSubject, _str(subject)),
                _q(node, DCTERMS.created, _dt(now_utc())),
            ]
            with self._lock:
                self.store.apply(ChangeSet(add=add))
        return self.get(account_id)

    def free_id(self, hint: str) -> str:
        """Return an unused account id made from ``hint`` (a name or e-mail local part)."""
        base = slugify(hint)[:36].strip("-") or "user"
        candidate, n = base, 1
        while self._old(account_iri(candidate)):
            n += 1
            candidate = f"{base}-{n}"
        return candidate
