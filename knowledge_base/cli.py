"""Staff command line: ``python -m knowledge_base <command>`` (see ``--help``)."""
from __future__ import annotations

import argparse
import base64
import getpass
import json
import os
import sys
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path

import yaml

from . import backup, db, loader, repository, revisions, signing

ENTITY_CHOICES = ("service", "faq", "office", "department", "district", "calendar_day", "setting")


def _default_user() -> str:
    try:
        return os.environ.get("KB_USER") or getpass.getuser()
    except (OSError, KeyError, ImportError):  # no login name (containers)
        return "cli"


def _err(*lines: object) -> None:
    for line in lines:
        print(line, file=sys.stderr)


def _print_issues(issues: list[loader.Issue]) -> int:
    """Print issues as ``FILE: RECORD: FIELD: message``; returns the number of errors."""
    errors = [i for i in issues if i.is_error]
    _err(*errors, *(i for i in issues if not i.is_error))
    if errors:
        _err(f"{len(errors)} error(s), {len(issues) - len(errors)} warning(s)")
    return len(errors)


@contextmanager
def _session(args: argparse.Namespace) -> Iterator:
    engine = db.make_engine(args.database_url or None)
    try:
        db.init_db(engine)
        with db.session_scope(engine) as session:
            yield session
    finally:
        engine.dispose()


class _Abort(Exception):
    """Roll back the transaction and exit 1 (messages already printed)."""


# --------------------------------------------------------------------------- YAML export layout


def _yaml_ready(records: list[dict]) -> list[dict]:
    """Dates as ``date`` objects so YAML writes them unquoted."""
    out = []
    for rec in records:
        rec = dict(rec)
        for key in ("date", "last_verified"):
            if isinstance(rec.get(key), str):
                rec[key] = date.fromisoformat(rec[key])
        out.append(rec)
    return out


def _dump(data: dict) -> str:
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml when available
    return yaml.dump(data, Dumper=dumper, allow_unicode=True, sort_keys=False, width=100_000)


def yaml_documents(export: dict) -> dict[str, dict]:
    """The content-directory layout of an export: relative file name → document."""
    cal = export["calendar"]
    calendar_doc = {k: cal[k] for k in ("timezone",) if k in cal}
    calendar_doc["public_holidays"] = _yaml_ready(cal["public_holidays"])
    calendar_doc["makeup_workdays"] = _yaml_ready(cal["makeup_workdays"])
    docs = {
        "calendar.yml": calendar_doc,
        "departments.yml": {"departments": export["departments"]},
        "offices.yml": {"districts": export["districts"], "offices": export["offices"]},
    }
    category = {s["id"]: s["category"] for s in export["services"]}
    services: dict[str, list] = defaultdict(list)
    faqs: dict[str, list] = defaultdict(list)
    for svc in export["services"]:
        services[svc["category"]].append(svc)
    for faq in export["faqs"]:
        faqs[category.get(faq.get("service"), "general")].append(faq)
    for area, items in sorted(services.items()):
        docs[f"services/{area}.yml"] = {"services": _yaml_ready(items)}
    for area, items in sorted(faqs.items()):
        docs[f"faqs/{area}.yml"] = {"faqs": items}
    return docs


def yaml_single(export: dict) -> str:
    """An export as one YAML document with the content files' top-level keys."""
    merged: dict = {}
    for doc in yaml_documents(export).values():
        for key, value in doc.items():
            merged[key] = merged.get(key, []) + value if isinstance(value, list) else value
    return _dump(merged)


def write_yaml(export: dict, path: Path) -> list[Path]:
    """Write an export as one YAML file (``*.yml``) or as a content directory; returns the files."""
    if path.suffix in (".yml", ".yaml"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml_single(export), encoding="utf-8")
        return [path]
    docs = yaml_documents(export)
    written = []
    for rel, doc in docs.items():
        target = path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_dump(doc), encoding="utf-8")
        written.append(target)
    stale = set(loader.content_files(path)) - set(written)
    if stale:
        _err(f"warning: {path} also holds other content files: " + ", ".join(sorted(map(str, stale))))
    return written


# --------------------------------------------------------------------------- commands


def cmd_init(args: argparse.Namespace) -> int:
    engine = db.make_engine(args.database_url or None)
    try:
        db.init_db(engine)
        print(f"schema at revision {db.schema_revision(engine)}")
    finally:
        engine.dispose()
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    path = Path(args.path) if args.path else _content_dir()
    content = loader.load_path(path)
    existing = None
    if args.against_db:
        with _session(args) as session:
            existing = repository.existing_ids(session)
    n_errors = _print_issues(loader.validate(content, existing))
    counts = ", ".join(f"{len(v)} {k}" for k, v in content.records.items() if v)
    print(f"{'invalid' if n_errors else 'ok'}: {len(content.files)} file(s), {counts or 'no records'}")
    return 1 if n_errors else 0


def _import(session, path: Path, user: str, prune: bool) -> repository.ImportReport:
    report = repository.import_content(session, loader.load_path(path), user, prune=prune)
    if _print_issues(report.issues):
        _err("import aborted: nothing was changed")
        raise _Abort
    return report


def _summary(report: repository.ImportReport) -> str:
    return ", ".join(f"{report.count(a)} {a}d" for a in ("create", "update", "delete"))


def cmd_import(args: argparse.Namespace) -> int:
    try:
        with _session(args) as session:
            report = _import(session, Path(args.path), args.user, args.prune)
            version = repository.content_version(session)
    except _Abort:
        return 1
    print(f"imported {args.path}: {_summary(report)}; content version {version}")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    content_dir = Path(args.content) if args.content else _content_dir()
    digest = f"{db.head_revision()}:{loader.hash_files(content_dir)}"
    try:
        with _session(args) as session:
            if not args.force and repository.get_meta(session, "content_hash") == digest:
                print(f"knowledge base up to date (content version {repository.content_version(session)})")
                return 0
            report = _import(session, content_dir, args.user, prune=args.prune)
            repository.set_meta(session, "content_hash", digest)
            version = repository.content_version(session)
    except _Abort:
        return 1
    print(f"built from {content_dir}: {_summary(report)}; content version {version}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    with _session(args) as session:
        export = repository.export_content(session)
    out = Path(args.output) if args.output else None
    if args.format == "json":
        text = json.dumps(export, ensure_ascii=False, indent=2) + "\n"
        if out:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
    elif out:
        files = write_yaml(export, out)
        _err(f"wrote {len(files)} file(s) to {out}")
    else:
        sys.stdout.write(yaml_single(export))
    return 0


def _keys() -> tuple[signing.Ed25519PrivateKey, dict]:
    """The signing key and the trusted verification keys, from the settings (environment)."""
    from bot.settings import Settings

    settings = Settings.from_env()
    key = signing.private_key(settings.backup_signing_key, settings.backup_key_file)
    return key, signing.trusted_keys(key, settings.backup_trusted_keys)


def _backups_dir() -> Path:
    from bot.settings import Settings

    return Settings.from_env().data_dir / "backups"


def cmd_backup(args: argparse.Namespace) -> int:
    try:
        key, _ = _keys()
        with _session(args) as session:
            manifest = backup.write_backup(session, args.file, key, args.user)
    except (signing.BackupError, OSError) as exc:
        _err(f"backup failed (nothing written): {exc}")
        return 1
    counts = ", ".join(f"{n} {name}" for name, n in manifest["counts"].items())
    print(f"backup written to {args.file} ({counts}); signed with key {manifest['key_id']}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    try:
        key, trusted = _keys()
        verified = backup.open_archive(backup.read_archive(args.file), trusted)  # before any change
        with _session(args) as session:
            kept = None
            if args.force and not backup.is_empty(session):
                kept = _backups_dir() / f"{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}-before-restore.tar.gz"
                backup.write_backup(session, kept, key, args.user)
            report = backup.restore_backup(session, verified, user=args.user, source=Path(args.file).name,
                                           force=args.force)
    except (signing.BackupError, ValueError, RuntimeError, OSError) as exc:
        _err(f"restore failed (nothing was changed): {exc}")
        return 1
    added = ", ".join(f"{n} {name}" for name, n in report.records_added.items()) or "none"
    print(f"restored {args.file} (signed by key {verified.archive.manifest['key_id']}, "
          f"made {verified.archive.manifest.get('created_at')}); content version {report.content_version}; "
          f"service records added: {added}")
    for name, n in report.records_refused.items():
        _err(f"warning: {n} {name} rows were not restored: they clash with rows here "
             "(such as a second open ticket of one conversation)")
    for name in report.records_skipped:
        _err(f"warning: table {name} does not exist here yet, its rows were not restored "
             "(start the assistant once so that it creates it, then restore again)")
    if kept:
        print(f"the previous state was kept as {kept}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """Check the revision chain (and, with --backup, a backup's signature and that the database
    still holds the backup's revisions unchanged)."""
    problems: list[str] = []
    try:
        anchor = None
        if args.backup:
            _, trusted = _keys()
            verified = backup.open_archive(backup.read_archive(args.backup), trusted)
            print(f"backup {args.backup}: signature and digests valid (key {verified.archive.manifest['key_id']})")
            anchor = {r["id"]: r["hash"] for r in verified.kb.get("revisions", [])}
        with _session(args) as session:
            count, found = revisions.verify(session)
            problems += [str(p) for p in found]
            if anchor:
                stored = revisions.stored_hashes(session)
                for rid, digest in anchor.items():
                    if stored.get(rid) != digest:
                        problems.append(f"revision {rid}: differs from the backup "
                                        f"({'deleted' if rid not in stored else 'rewritten'})")
    except (signing.BackupError, OSError) as exc:
        _err(f"verify failed: {exc}")
        return 1
    if problems:
        _err(*problems, f"{len(problems)} problem(s) in {count} revision(s): the history was tampered with")
        return 1
    print(f"ok: {count} revision(s), hash chain intact" + (", matches the backup" if anchor else ""))
    return 0


def cmd_keygen(args: argparse.Namespace) -> int:
    """Print a new signing key (for BACKUP_SIGNING_KEY) and its public key (for BACKUP_TRUSTED_KEYS)."""
    seed = signing.new_seed()
    key = signing.Ed25519PrivateKey.from_private_bytes(seed)
    print(f"BACKUP_SIGNING_KEY={base64.urlsafe_b64encode(seed).decode()}")
    print(f"# public key (for BACKUP_TRUSTED_KEYS elsewhere): "
          f"{base64.b64encode(signing.public_bytes(key.public_key())).decode()} (id {signing.key_id(key.public_key())})")
    return 0


def _resolve_entity(session, record_id: str, entity: str | None) -> str:
    if entity:
        return entity
    found = set(revisions.entity_types_for(session, record_id))
    for name, ids in repository.existing_ids(session).items():
        if record_id in ids:
            found.add(name)
    if not found:
        _err(f"no record or history for '{record_id}'")
        raise _Abort
    if len(found) > 1:
        _err(f"'{record_id}' is ambiguous; use --entity ({', '.join(sorted(found))})")
        raise _Abort
    return found.pop()


def cmd_history(args: argparse.Namespace) -> int:
    try:
        with _session(args) as session:
            entity = _resolve_entity(session, args.id, args.entity)
            revs = revisions.history(session, entity, args.id)
    except _Abort:
        return 1
    print(f"{entity} {args.id}")
    print(f"{'REV':>4}  {'ACTION':<7} {'WHO':<16} {'WHEN':<25} NOTE")
    for r in revs:
        when = backup._iso(r.changed_at)
        print(f"{r.number:>4}  {r.action:<7} {r.changed_by:<16} {when:<25} {r.comment or ''}".rstrip())
    return 0


def cmd_revert(args: argparse.Namespace) -> int:
    try:
        with _session(args) as session:
            entity = _resolve_entity(session, args.id, args.entity)
            try:
                action = repository.revert(session, entity, args.id, args.revision, args.user)
            except LookupError as exc:
                _err(str(exc))
                raise _Abort
            except loader.ValidationFailed as exc:
                _print_issues(exc.issues)
                raise _Abort
            version = repository.content_version(session)
    except _Abort:
        return 1
    print(f"reverted revision {args.revision} of {entity} {args.id}: {action or 'no change'}; "
          f"content version {version}")
    return 0


def _content_dir() -> Path:
    from bot.settings import Settings

    return Settings.from_env().content_dir


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--database-url", default=argparse.SUPPRESS,
                        help="SQLAlchemy URL (default: $DATABASE_URL or var/knowledge_base.db)")
    parser = argparse.ArgumentParser(prog="python -m knowledge_base", parents=[common],
                                     description="Manage the government-service knowledge base.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func, help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help_, description=help_)
        p.set_defaults(func=func)
        return p

    def user(p: argparse.ArgumentParser) -> None:
        p.add_argument("--user", default=_default_user(), help="who makes the change (default: login name)")

    def entity(p: argparse.ArgumentParser) -> None:
        p.add_argument("--entity", choices=ENTITY_CHOICES, help="record type, if the id is ambiguous")

    add("init", cmd_init, "create or upgrade the database schema")
    p = add("validate", cmd_validate, "check content files without importing them")
    p.add_argument("path", nargs="?", help="file or directory (default: the content directory)")
    p.add_argument("--against-db", action="store_true", help="let references point to stored records")
    p = add("import", cmd_import, "import content files (all or nothing)")
    p.add_argument("path", help="YAML/JSON file, FAQ .xlsx/.csv sheet, or a directory")
    p.add_argument("--prune", action="store_true", help="delete stored records that the input lacks")
    user(p)
    p = add("build", cmd_build, "init + import the content directory, skipped when unchanged")
    p.add_argument("--content", help="content directory (default: knowledge_base/content)")
    p.add_argument("--force", action="store_true", help="import even if the content is unchanged")
    p.add_argument("--prune", action="store_true",
                   help="delete stored records the content lacks (by default records created in the staff "
                        "console are kept)")
    p.add_argument("--no-prune", action="store_true", help=argparse.SUPPRESS)  # the default; kept for old scripts
    p.add_argument("--user", default="build", help="who makes the change (default: build)")
    p = add("export", cmd_export, "export the whole knowledge base")
    p.add_argument("--format", choices=("json", "yaml"), default="json")
    p.add_argument("--output", help="file, or directory for YAML (default: stdout)")
    p = add("backup", cmd_backup, "write a signed archive (.tar.gz) of content, revisions, tickets and feedback")
    p.add_argument("file")
    user(p)
    p = add("restore", cmd_restore, "verify a signed backup, then restore it into an empty database")
    p.add_argument("file")
    p.add_argument("--force", action="store_true",
                   help="replace a non-empty database (its state is kept first in var/backups/)")
    user(p)
    p = add("verify", cmd_verify, "check the revision hash chain (and optionally a backup) for tampering")
    p.add_argument("--backup", help="also verify this backup and that the database still holds its revisions")
    p = add("keygen", cmd_keygen, "print a new backup signing key for BACKUP_SIGNING_KEY")
    p = add("history", cmd_history, "list the revisions of a record")
    p.add_argument("id")
    entity(p)
    p = add("revert", cmd_revert, "undo one revision of a record (reverting a create deletes it)")
    p.add_argument("id")
    p.add_argument("revision", type=int)
    user(p)
    entity(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not hasattr(args, "database_url"):
        args.database_url = None
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return args.func(args)
    except SQLAlchemyError as exc:  # unreachable database, constraint violation …: rolled back
        _err(f"database error (nothing was changed): {exc.__class__.__name__}: {str(exc).splitlines()[0]}")
        return 1
