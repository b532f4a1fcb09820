"""Lesson sub-commands: ``kb lessons list|export|import|submit|approve|send-back|feed`` (and ``kb users``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from kb import accounts
from kb.cli import users
from kb.cli.common import CliError, add_db, print_json, settings
from kb.embeddings import Embedder, make_embedder
from kb.lessons import feed
from kb.lessons import files as lesson_files
from kb.lessons import service as lessons
from kb.lessons.format import CONTENT_FIELDS, input_from_record, to_markdown
from kb.records import vocab
from kb.store import database
from kb.store import write as store
from kb.views.markdown import render_markdown_safe


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    users.register(sub)
    les = sub.add_parser("lessons", help="lessons learned: list, export to Markdown, import from Markdown, review")
    lsub = les.add_subparsers(dest="lessons_command", required=True, metavar="ACTION")
    p = lsub.add_parser("list", help="list lessons (all statuses)")
    add_db(p)
    p.add_argument("--status", choices=list(vocab.LESSON_STATUSES))
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_list)
    p = lsub.add_parser("export", help="write each lesson back to its own file in the corpus folder (a lesson from a "
                                       "file to that file, a published app lesson to lessons/ID.md)")
    add_db(p)
    p.add_argument("dir", nargs="?", default=None,
                   help="the corpus folder (default: $KB_SOLUTIONS_DIR or solutions/); another folder receives "
                        "copies and the database records no export")
    p.set_defaults(handler=cmd_export)
    p = lsub.add_parser("import", help="bring lessons written as Markdown into the database")
    add_db(p)
    p.add_argument("path", help="a lesson file or a folder of them")
    p.add_argument("--author", required=True, help="author of lessons whose front matter names none")
    p.add_argument("--as-draft", action="store_true", help="import as drafts whatever their status says")
    p.set_defaults(handler=cmd_import)
    for action, fn, text in (
            ("submit", cmd_submit, "submit a draft for review (as the operator)"),
            ("approve", cmd_approve, "publish a lesson in review (as the operator, who must not be its last author "
                                     "unless --override)"),
            ("send-back", cmd_send_back, "send a lesson in review back to draft with a --comment for its author")):
        p = lsub.add_parser(action, help=text)
        add_db(p)
        p.add_argument("id", help="the lesson's id (see 'kb lessons list')")
        p.add_argument("--comment", required=action == "send-back", help="what the author should change")
        if action == "approve":
            p.add_argument("--override", action="store_true",
                           help="publish even if the operator last changed it (recorded in the audit log)")
        p.set_defaults(handler=fn)
    p = lsub.add_parser("feed", help="print the Atom feed of published lessons for a city, measure type or barrier "
                        "type (all published lessons without options)")
    add_db(p)
    p.add_argument("--city", help="a city id, e.g. bilbao")
    p.add_argument("--measure-type", help="a measure type id, e.g. thermal-network")
    p.add_argument("--barrier-type", help="one of: " + ", ".join(vocab.BARRIER_TYPES))
    p.add_argument("--base-url", default=feed.DEFAULT_BASE_URL,
                   help=f"where the app is served, for the lessons' links (default: {feed.DEFAULT_BASE_URL})")
    p.add_argument("--self-url", help="the address this feed is served from, if any (its rel=self link)")
    p.set_defaults(handler=cmd_feed)


def cmd_list(args: argparse.Namespace) -> int:
    rows = lessons.list_lessons(users.engine_for(args), users.operator(), status=args.status)
    if args.json:
        print_json([{"id": r.id, "title": r.title, "status": r.status, "solutions": r.solutions,
                     "outcome": r.outcome, "author": r.author, "file": r.file_path} for r in rows])
        return 0
    for r in rows:
        print(f"{r.id:<44} {r.status:<10} {r.outcome:<7} {r.author:<16} {r.title}")
    return 0


def _current(args: argparse.Namespace) -> tuple[Engine, accounts.Actor, lessons.Lesson]:
    engine = users.engine_for(args)
    actor = users.operator()
    return engine, actor, lessons.get_lesson(engine, args.id, actor)


def cmd_submit(args: argparse.Namespace) -> int:
    engine, actor, les = _current(args)
    les = lessons.submit_lesson(engine, actor, les.id, les.version)
    print(f"submitted for review: {les.id} (version {les.version})")
    return 0


def cmd_approve(args: argparse.Namespace) -> int:
    engine, actor, les = _current(args)
    les = lessons.approve_lesson(engine, actor, les.id, les.version, _embedder(engine, settings(args).model),
                                 override=args.override)
    print(f"published: {les.id} (version {les.version})")
    return 0


def cmd_send_back(args: argparse.Namespace) -> int:
    engine, actor, les = _current(args)
    les = lessons.send_back_lesson(engine, actor, les.id, les.version, args.comment)
    print(f"sent back to draft: {les.id} (version {les.version})")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    corpus = settings(args).solutions_dir
    out = Path(args.dir) if args.dir else corpus
    engine = users.engine_for(args)
    if out.resolve() != corpus.resolve():  # a copy: every published lesson and every lesson with a file, as is
        count = 0
        for les in sorted(lessons.list_lessons(engine, users.operator()), key=lambda x: x.id):
            if les.status == "published" or les.file_path:
                target = out / (les.file_path or f"{lesson_files.LESSONS_DIR}/{les.id}.md")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(to_markdown(les), encoding="utf-8")
                count += 1
        print(f"copied {count} lessons to {out} (not the corpus folder {corpus}: no export recorded)")
        return 0
    result = lesson_files.export_lessons(engine, users.operator(), out)
    for why in result.refused:
        print(f"refused: {why}", file=sys.stderr)
    for key in result.written:
        print(f"written: {key}")
    print(f"exported {len(result.written)} lessons to {out} ({len(result.unchanged)} unchanged, "
          f"{len(result.refused)} refused)")
    return 1 if result.refused else 0


def cmd_feed(args: argparse.Namespace) -> int:
    """Print the feed; an unknown city or type is a usage error (exit code 2, as argparse's own), naming the allowed
    values."""
    try:
        xml = feed.atom_feed(users.engine_for(args), args.city, args.measure_type, args.barrier_type,
                             base_url=args.base_url, self_url=args.self_url, render=render_markdown_safe)
    except feed.FeedSelectionInvalid as exc:
        print(f"kb lessons feed: error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(xml.decode("utf-8"))
    if not xml.endswith(b"\n"):
        sys.stdout.write("\n")
    return 0


def _embedder(engine: Engine, default_model: str) -> Embedder:
    with database.read_session(engine) as s:
        model = store.get_meta(s, "model")
    return make_embedder(model or default_model)


def cmd_import(args: argparse.Namespace) -> int:
    from ingest.loader import find_files
    from kb.records.errors import RecordInvalid  # the CLI is an edge: it may use the ingest parser
    from kb.records.parse import parse_file
    from kb.records.validate import validate_record

    root = Path(args.path)
    if not root.exists():
        raise CliError(f"{root}: no such file or directory")
    engine = users.engine_for(args)
    actor = users.operator()
    embedder: Embedder | None = None
    counts = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
    for path in find_files(root):
        try:
            rec, errs = parse_file(path)
            errs += validate_record(rec)
            if errs:
                raise RecordInvalid(errs)
            if rec.kind != "lesson":
                raise CliError(f"kind '{rec.kind}' is not a lesson")
            data = input_from_record(rec)
            data["author"] = str(rec.front.get("author") or args.author)
            if args.as_draft:
                data["status"] = "draft"
            if data["status"] == "published" and embedder is None:
                embedder = _embedder(engine, settings(args).model)
            verb = _import_one(engine, actor, data, embedder, settings(args).model)
        except RecordInvalid as exc:  # each error names the file and line already
            print("; ".join(str(e) for e in exc.errors), file=sys.stderr)
            counts["failed"] += 1
            continue
        except (CliError, lessons.LessonError, lessons.LessonInvalid) as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            counts["failed"] += 1
            continue
        counts[verb] += 1
        print(f"{verb}: {data['id']}")
    print(", ".join(f"{v} {k}" for k, v in counts.items()))
    return 1 if counts["failed"] else 0


def _import_one(engine: Engine, actor: accounts.Actor, data: dict[str, Any], embedder: Embedder | None,
                model: str) -> str:
    try:
        current = lessons.get_lesson(engine, data["id"], actor)
    except lessons.LessonNotFound:
        lessons.create_lesson(engine, actor, data, embedder)
        return "created"
    changes = {k: data[k] for k in CONTENT_FIELDS if data[k] != getattr(current, k)}
    if not changes:
        return "unchanged"
    if current.status == "published" and embedder is None:
        embedder = _embedder(engine, model)
    lessons.update_lesson(engine, actor, current.id, {"version": current.version, **changes}, embedder)
    return "updated"
