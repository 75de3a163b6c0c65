"""Staff accounts: argon2id password hashes, lock-out after repeated failures, roles."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from console.models import ROLES, StaffUser, as_utc

MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()
# Verified when the user does not exist, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class AccountError(ValueError):
    """A user-management request that cannot be done; ``code`` names the reason (texts in UI)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def role_allows(role: str, needed: str) -> bool:
    """Whether ``role`` has at least the rights of ``needed`` (viewer < editor < admin)."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("password_too_short")


def create_user(session: Session, username: str, password: str, role: str,
                display_name: str = "") -> StaffUser:
    username = username.strip()
    if not username or len(username) > 64:
        raise AccountError("username_invalid")
    if role not in ROLES:
        raise AccountError("role_invalid")
    check_password_policy(password)
    exists = session.execute(select(StaffUser).where(func.lower(StaffUser.username) == username.lower()))
    if exists.scalar_one_or_none() is not None:
        raise AccountError("username_taken")
    user = StaffUser(username=username, display_name=display_name or username,
                     password_hash=_hasher.hash(password), role=role)
    session.add(user)
    session.flush()
    return user


def set_password(user: StaffUser, password: str) -> None:
    check_password_policy(password)
    user.password_hash = _hasher.hash(password)
    user.failed_logins, user.locked_until = 0, None
    user.session_epoch = (user.session_epoch or 0) + 1  # signs out every session of the old password


def find_user(session: Session, username: str) -> Optional[StaffUser]:
    return session.execute(
        select(StaffUser).where(func.lower(StaffUser.username) == username.strip().lower())
    ).scalar_one_or_none()


@dataclass(frozen=True)
class LoginResult:
    user: Optional[StaffUser]
    reason: str  # ok | bad_credentials | locked | inactive


def authenticate(session: Session, username: str, password: str, *, max_failures: int = 5,
                 lockout_minutes: int = 15, now: Optional[datetime] = None) -> LoginResult:
    """Checks a login. ``max_failures`` wrong passwords in a row lock the account for
    ``lockout_minutes`` (a correct password does not open a locked account)."""
    now = now or datetime.now(timezone.utc)
    user = find_user(session, username)
    if user is None:
        try:
            _hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        return LoginResult(None, "bad_credentials")
    locked_until = as_utc(user.locked_until)
    if locked_until is not None and locked_until > now:
        try:  # as long as a real check: the answer's timing says nothing
            _hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        return LoginResult(user, "locked")
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        # counted in the database (not read-add-write here): parallel guesses all count
        session.execute(update(StaffUser).where(StaffUser.id == user.id)
                        .values(failed_logins=StaffUser.failed_logins + 1))
        session.refresh(user)
        if user.failed_logins >= max_failures:
            user.locked_until, user.failed_logins = now + timedelta(minutes=lockout_minutes), 0
            user.session_epoch = (user.session_epoch or 0) + 1
            return LoginResult(user, "locked")
        return LoginResult(user, "bad_credentials")
    if not user.active:
        return LoginResult(user, "inactive")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    return LoginResult(user, "ok")
