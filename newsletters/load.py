"""Stage 1: read and validate the whole project before anything is rendered or written."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar, cast

from . import confine
from .errors import NewsletterError, NotAProject, Problem, Problems
from .memo import Memo
from .model import Article, ArticleMeta, Clinic, Issue, IssueMeta, Project
from .paths import ProjectPaths
from .schema import load_into
from .yamlfile import YamlList, YamlMap, parse_yaml, read_text, split_front_matter

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_T = TypeVar("_T")


def discover_root(start: Path) -> Path:
    """The project holding `start`: `start` itself or the nearest parent folder with
    content/clinic.yaml, as git finds its repository; `start` when there is none."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if ProjectPaths.of(folder).clinic_file.is_file():
            return folder
    return start


def find_project(root: Path) -> Path:
    """The project folder (found from a subfolder too), or NotAProject with what to do."""
    root = root.resolve()
    if not root.is_dir():
        raise NotAProject(f"{root}: no such folder")
    root = discover_root(root)
    if not ProjectPaths.of(root).clinic_file.is_file():
        raise NotAProject(
            f"{root} is not a newsletter project (it has no content/clinic.yaml); run the "
            "command in your project's folder, pass -C FOLDER, or create one with "
            "'newsletter init FOLDER'"
        )
    return root


def load_project(root: Path, problems: Problems, out: Path | None = None) -> Project | None:
    """Load clinic, articles and issues; every mistake becomes a problem.

    Returns what loaded (None only without a valid clinic.yaml), so callers can go on checking;
    a caller must not render while `problems.errors` is not empty.
    """
    root = find_project(root)
    paths = ProjectPaths.of(root, out)
    clinic = _load_clinic(paths.clinic_file, problems)
    articles = {}
    for path in _listed(
        paths.articles, paths.content, (".md",), problems, confine.MAX_ARTICLE_BYTES
    ):
        article = _load_article(path, problems)
        if article is not None:
            articles[article.slug] = article
    issues = {}
    for path in _listed(paths.issues, paths.content, (".yaml",), problems, confine.MAX_TEXT_BYTES):
        issue = _load_issue(path, problems)
        if issue is not None:
            issues[issue.id] = issue
    if clinic is None:
        return None
    # Check what did load even when other files have mistakes: one run reports everything.
    project = Project(root, clinic, articles, issues, out)
    for article in articles.values():
        _check_article(project, article, problems)
    if clinic.logo is not None:
        _check_local_image(
            project, clinic.logo.src, paths.clinic_file, clinic.lines.get("logo", 1), problems
        )
        if clinic.logo.dark_src:
            _check_local_image(
                project,
                clinic.logo.dark_src,
                paths.clinic_file,
                clinic.lines.get("logo", 1),
                problems,
            )
    return project


def load_checked(root: Path, out: Path | None = None) -> Project:
    """The whole project, or NewsletterError with every problem found in it."""
    problems = Problems()
    project = load_project(root, problems, out)
    if project is None or problems.errors:
        raise NewsletterError(problems.errors)
    return project


def select_issues(project: Project, names: Sequence[str], problems: Problems) -> list[Issue]:
    """The issues named (by id like 2026-11 or by file path), or the newest when none is."""
    if not names:
        newest = project.newest_issue()
        if newest is None:
            if any(project.paths.issues.glob("*.yaml")):
                return []  # they exist but have mistakes, already reported
            problems.add(
                project.paths.issues,
                None,
                "no issues yet; add one, e.g. content/issues/2026-11.yaml",
            )
            return []
        return [newest]
    chosen = []
    for name in names:
        issue_id = Path(name).stem if name.endswith((".yaml", ".yml")) else name
        issue = project.issues.get(issue_id)
        exists = confine.is_issue_name(issue_id) and project.paths.issue_file(issue_id).is_file()
        if issue is None and exists:
            continue  # the file exists but has mistakes, reported where they are
        if issue is None:
            close = difflib.get_close_matches(issue_id, list(project.issues), n=1)
            hint = f"did you mean '{close[0]}'?" if close else "run 'newsletter list' to see them"
            problems.add(None, None, f"there is no issue '{name}'; {hint}")
        else:
            chosen.append(issue)
    return chosen


def check_issue(project: Project, issue: Issue, problems: Problems) -> None:
    """Cross-references of one issue: its articles exist, appear once, its layout exists."""
    meta = issue.meta
    known = list(project.articles)
    featured = [(meta.featured, issue.line_of("featured"))]
    listed = list(
        zip(
            meta.articles,
            issue.article_lines or [issue.line_of("articles")] * len(meta.articles),
            strict=False,
        )
    )
    for field, entries in (("featured", featured), ("articles", listed)):
        seen: set[str] = set()
        for slug, line in entries:
            if slug in seen:
                problems.add(issue.path, line, f"'{slug}' is listed twice in '{field}'; keep one")
                continue
            seen.add(slug)
            if slug in project.articles:
                continue
            if _SLUG.fullmatch(slug) and project.paths.article(slug).exists():
                continue  # the article exists but has mistakes, reported where they are
            if slug.upper().startswith("TODO"):
                problems.add(
                    issue.path,
                    line,
                    f"'{field}' is still the placeholder '{slug}'; write the name of an article "
                    f"in content/articles/ (without .md), e.g. {field}: "
                    f"{sorted(known)[0] if known else 'my-article'}",
                )
                continue
            close = difflib.get_close_matches(slug, known, n=1)
            hint = (
                f"did you mean '{close[0]}'?"
                if close
                else f"add content/articles/{slug}.md or fix the name"
            )
            problems.add(issue.path, line, f"no article '{slug}'; {hint}")
    templates = project.paths.layouts
    for suffix in (".mjml.j2", ".txt.j2"):
        if not project.paths.layout(meta.layout, suffix).is_file():
            layouts = sorted(p.name.removesuffix(".mjml.j2") for p in templates.glob("*.mjml.j2"))
            problems.add(
                issue.path,
                issue.line_of("layout"),
                f"layout '{meta.layout}' has no template templates/layouts/{meta.layout}{suffix}; "
                f"use one of: {', '.join(layouts) or 'none found'}",
            )


_NEAR_MISSES = {".md": (".markdown", ".mdown", ".txt"), ".yaml": (".yml",)}


def _listed(
    directory: Path, content: Path, suffixes: tuple[str, ...], problems: Problems, limit: int
) -> list[Path]:
    """The files of content/<folder>/ to load: regular files inside content/, in name order.

    A symbolic link leading out of content/, a FIFO or device, or a file over the size limit is
    a problem naming the file; so is a file with a near-miss extension (`.yml`), which would
    otherwise be ignored without a word."""
    if not directory.is_dir():
        return []
    found = []
    for path in sorted(directory.iterdir()):
        suffix = path.suffix.lower()
        if suffix != path.suffix and suffix in suffixes:
            problems.add(path, None, f"rename the file to end in lowercase '{suffix}'")
            continue
        if path.suffix not in suffixes:
            wanted = next((s for s in suffixes if suffix in _NEAR_MISSES.get(s, ())), None)
            if wanted:
                problems.add(path, None, f"this file is ignored: rename it to end in '{wanted}'")
            continue
        refused = confine.confined_listing(path, content, limit)
        if refused is not None:
            problems.add(path, None, f"cannot be used: it {refused.reason}")
            continue
        found.append(path)
    return found


def _load_clinic(path: Path, problems: Problems) -> Clinic | None:
    refused = confine.confined_listing(path, path.parent)
    if refused is not None:
        problems.add(path, None, f"cannot be used: it {refused.reason}")
        return None
    text = read_text(path, problems)
    if text is None:
        return None
    return _from_text(_clinic_from_text, path, text, problems)


def _clinic_from_text(path: Path, text: str, problems: Problems) -> Clinic | None:
    before = len(problems.errors)
    data = parse_yaml(text, path, problems)
    if data is None:
        if len(problems.errors) == before:  # not after a syntax error: that is the one problem
            problems.add(
                path, 1, "the file is empty; see the README for the fields clinic.yaml needs"
            )
        return None
    clinic = load_into(Clinic, data, path, problems)
    theme_data = data.get("theme") if isinstance(data, dict) else None
    if clinic is not None and isinstance(theme_data, dict):
        from .theme import derive_theme

        # Still loading, read by nobody yet: links and headlines follow a re-brand.
        object.__setattr__(clinic, "theme", derive_theme(clinic.theme, set(theme_data)))
        if isinstance(theme_data, YamlMap):  # colour findings point at the colour's own line
            clinic.lines.update({f"theme.{k}": n for k, n in theme_data.key_lines.items()})
    return clinic


def _load_article(path: Path, problems: Problems) -> Article | None:
    slug = path.stem
    if not _SLUG.fullmatch(slug) or len(slug) > 80:
        problems.add(
            path,
            None,
            "rename the file with lowercase letters a-z, digits and single dashes only "
            "(no accents or spaces), like chronic-pain.md",
        )
        return None
    text = read_text(path, problems)
    if text is None:
        return None
    return _from_text(_article_from_text, path, text, problems)


def _article_from_text(path: Path, text: str, problems: Problems) -> Article | None:
    parsed = split_front_matter(text, path, problems)
    if parsed is None:
        return None
    if parsed.meta is None:
        problems.add(path, 2, "the front matter is empty; add title, condition and summary")
        return None
    meta = load_into(ArticleMeta, parsed.meta, path, problems)
    if meta is None:
        return None
    if not parsed.body.strip() and meta.url is None:
        problems.add(path, parsed.body_line, "the article has no text after the front matter")
        return None
    lines = parsed.meta.key_lines if isinstance(parsed.meta, YamlMap) else {}
    return Article(path.stem, path, meta, parsed.body, parsed.body_line, dict(lines))


def _load_issue(path: Path, problems: Problems) -> Issue | None:
    name_problem = confine.issue_name_problem(path.stem)
    if name_problem:
        problems.add(path, None, name_problem)
        return None
    text = read_text(path, problems)
    if text is None:
        return None
    return _from_text(_issue_from_text, path, text, problems)


def _issue_from_text(path: Path, text: str, problems: Problems) -> Issue | None:
    before = len(problems.errors)
    data = parse_yaml(text, path, problems)
    if data is None:
        if len(problems.errors) == before:
            problems.add(path, 1, "the issue is empty; it needs subject, preheader, date, featured")
        return None
    meta = load_into(IssueMeta, data, path, problems)
    if meta is None:
        return None
    items = data.get("articles")
    item_lines = tuple(items.item_lines) if isinstance(items, YamlList) else ()
    named = re.fullmatch(r"(\d{4})-(\d\d)", path.stem)
    if named and (meta.date.year, meta.date.month) != (int(named[1]), int(named[2])):
        problems.add(
            path,
            data.key_lines.get("date"),
            f"the date {meta.date.isoformat()} is not in {path.stem}, the month of the file's "
            f"name; fix the date, or rename the file to {meta.date:%Y-%m}.yaml",
        )
        return None
    return Issue(path.stem, path, meta, dict(data.key_lines), item_lines)


# A file's text -> what it loads into and the problems found on the way. The files are read
# (and their confinement decided) on every load; parsing them again only when their text
# changed makes the preview's rebuild after a save parse one file instead of every one.
_loaded: Memo[tuple[object, str, str], tuple[object, tuple[Problem, ...]]] = Memo()


def _from_text(
    load: Callable[[Path, str, Problems], _T], path: Path, text: str, problems: Problems
) -> _T:
    """`load(path, text, problems)`, remembered by the function, the path and the text: the
    result depends on nothing else (not the clock, not other files) and nobody changes it."""

    def parse() -> tuple[object, tuple[Problem, ...]]:
        own = Problems()
        return load(path, text, own), tuple(own)

    value, found = _loaded.get((load, str(path), text), len(text), parse)
    problems.extend(found)
    return cast(_T, value)


def _check_article(project: Project, article: Article, problems: Problems) -> None:
    meta = article.meta
    conditions = [c.key for c in project.clinic.conditions]
    if conditions and meta.condition not in conditions:
        problems.add(
            article.path,
            article.line_of("condition"),
            f"unknown condition '{meta.condition}'; {_condition_hint(project, meta.condition)}",
        )
    if meta.image:
        _check_local_image(project, meta.image, article.path, article.line_of("image"), problems)
        if meta.image_alt is None:
            problems.add(
                article.path,
                article.line_of("image"),
                "the image has no 'image_alt'; describe it, or write image_alt: \"\" if it is "
                "only decoration",
            )


def _condition_hint(project: Project, typed: str) -> str:
    """By key or by the name readers see ('Migraine' for migraine), else the close ones, else
    every key: never a dead end."""
    conditions = project.clinic.conditions
    by_name = {c.name.casefold(): c.key for c in conditions}
    if typed.casefold() in by_name:
        return f"write its key: condition: {by_name[typed.casefold()]}"
    keys = [c.key for c in conditions]
    close = difflib.get_close_matches(typed.casefold(), [*keys, *by_name], n=1, cutoff=0.6)
    if close:
        return f"did you mean '{by_name.get(close[0], close[0])}'?"
    return f"use one of: {', '.join(keys)} (or add it to clinic.yaml's conditions)"


def _check_local_image(
    project: Project, ref: str, path: Path, line: int, problems: Problems
) -> None:
    if ref.startswith("https://"):
        return
    problem = image_problem(project.content_dir, ref)
    if problem:
        problems.add(path, line, problem)


def image_problem(content_dir: Path, ref: str) -> str | None:
    """Why a local image reference cannot be used, worded for the author, or None."""
    from .images import format_problem

    try:
        path = confine.content_file(content_dir, ref)
    except confine.Refused as exc:
        if exc.reason == "not found":
            return f"image '{ref}' not found in content/; {_image_hint(content_dir, ref)}"
        return f"image '{ref}' {exc.reason}"
    problem = format_problem(path)
    return f"image '{ref}' {problem}" if problem else None


def _image_hint(content_dir: Path, ref: str) -> str:
    """A did-you-mean among the images in content/, else where to put the file."""
    images = ProjectPaths.of(content_dir.parent).images
    known = sorted(
        p.relative_to(content_dir).as_posix()
        for p in images.rglob("*")
        if p.is_file()
    ) if images.is_dir() else []  # fmt: skip
    close = difflib.get_close_matches(ref, known, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return "copy the file into content/images/ and check the name"
