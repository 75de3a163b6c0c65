"""WTForms forms of the console; every form carries a session-bound CSRF token."""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Mapping

from wtforms import Form, PasswordField, SelectField, StringField, TextAreaField
from wtforms.csrf.session import SessionCSRF
from wtforms.validators import DataRequired, Length

from console.models import ROLES


class FormData:
    """aiohttp's multidict as WTForms wants it (``getlist``)."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data

    def __iter__(self):
        return iter(self._data.keys())

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def getlist(self, key: str) -> list:
        getall = getattr(self._data, "getall", None)
        if getall is not None:
            return [v for v in getall(key, []) if isinstance(v, str)]
        value = self._data.get(key)
        return [] if value is None else [value]


class ConsoleForm(Form):
    """Base form: CSRF token bound to the session (``meta={"csrf_context": session, ...}``)."""

    class Meta:
        csrf = True
        csrf_class = SessionCSRF
        csrf_time_limit = timedelta(hours=8)


def make_form(form_class: type[ConsoleForm], session: Any, secret: bytes, formdata: Any = None,
              **kwargs: Any) -> ConsoleForm:
    meta = {"csrf_context": session, "csrf_secret": secret}
    return form_class(formdata=FormData(formdata) if formdata is not None else None, meta=meta, **kwargs)


class LoginForm(ConsoleForm):
    username = StringField("username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=1024)])


class ActionForm(ConsoleForm):
    """A button that changes something: only the CSRF token."""


class ReplyForm(ConsoleForm):
    text = TextAreaField("text", validators=[DataRequired(), Length(max=2000)])


class UserCreateForm(ConsoleForm):
    username = StringField("username", validators=[DataRequired(), Length(max=64)])
    display_name = StringField("display_name", validators=[Length(max=128)])
    role = SelectField("role", choices=[(r, r) for r in ROLES])
    password = PasswordField("password", validators=[DataRequired(), Length(min=10, max=1024)])


class UserUpdateForm(ConsoleForm):
    role = SelectField("role", choices=[(r, r) for r in ROLES])
    active = SelectField("active", choices=[("1", "1"), ("0", "0")])
    password = PasswordField("password", validators=[Length(max=1024)])
