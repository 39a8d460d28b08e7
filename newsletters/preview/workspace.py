"""The preview's builds: the last good email of every page, its current problems, and a generation.

A page ("target") is an issue, or one article on its own. Builds happen in this warm process, on
demand, at most once per generation; a file change starts a new generation. A failed build keeps
the last good email and records the errors, so the page can show them over it.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..built import BuiltIssue
from ..errors import NewsletterError, Problem, Problems
from ..model import Issue, IssueMeta, Project
from ..paths import ProjectPaths


@dataclass(frozen=True)
class Target:
    """A page of the preview: kind is "issue" or "article"."""

    kind: str
    name: str

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass
class _PageState:
    built: BuiltIssue | None = None  # the last good build
    findings: tuple[Problem, ...] = ()  # of the last good build
    errors: tuple[Problem, ...] = ()  # of the latest attempt; empty when it succeeded
    generation: int = -1
    html_version: int = 0  # changes only when the email's HTML does
    build_ms: float = 0.0


@dataclass(frozen=True)
class View:
    """A page as it stands: what the server shows."""

    target: Target
    built: BuiltIssue | None
    findings: tuple[Problem, ...]
    errors: tuple[Problem, ...]
    generation: int
    html_version: int
    build_ms: float


@dataclass(frozen=True)
class Overview:
    """What the index shows: the last good project, its issues' views, and project errors."""

    project: Project | None
    issues: tuple[View, ...]
    errors: tuple[Problem, ...]
    generation: int


@dataclass
class _Loaded:
    project: Project | None = None  # the last project that loaded
    errors: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()
    generation: int = -1


@dataclass
class Workspace:
    """Builds pages of one project on demand, keeping the last good build of each."""

    root: Path
    checks: bool = False  # run the checks (pipeline stage 7) on every good build
    log: Callable[[str], None] = print
    generation: int = 0
    saved_at: dict[int, float] = field(default_factory=dict)  # generation -> time of the save
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _loaded: _Loaded = field(default_factory=_Loaded)
    _pages: dict[str, _PageState] = field(default_factory=dict)

    def invalidate(self, saved_at: float | None = None) -> int:
        """Files changed: the next request builds again. Returns the new generation."""
        with self._lock:
            self.generation += 1
            self.saved_at[self.generation] = saved_at if saved_at is not None else time.time()
            return self.generation

    def project(self) -> tuple[Project | None, tuple[Problem, ...]]:
        """The last project that loaded, and the errors of the latest load (empty if it did)."""
        with self._lock:
            loaded = self._loaded
            if loaded.generation != self.generation:
                problems = Problems()
                try:
                    project = _load(self.root, problems)
                    errors = [p for p in problems.errors]
                except NewsletterError as exc:
                    project, errors = None, exc.problems
                except Exception as exc:
                    project, errors = None, [self._unexpected(exc)]
                if project is not None:
                    # A broken draft does not hide the rest: its errors are listed above
                    # the issues that still build.
                    loaded.project = project
                    loaded.errors = tuple(errors)
                    loaded.warnings = tuple(problems.warnings)
                else:
                    loaded.errors = tuple(errors)
                loaded.generation = self.generation
            return loaded.project, loaded.errors

    def exists(self, target: Target) -> bool:
        """Whether the project has this page (or had it, when the project cannot load now)."""
        project, _ = self.project()
        with self._lock:
            if target.key in self._pages and self._pages[target.key].built is not None:
                return True
        if project is None:  # nothing loads yet: the page shows why, if its file is there
            paths = ProjectPaths.of(self.root)
            if target.kind == "issue":
                return paths.issue_file(target.name).is_file()
            return paths.article(target.name).is_file()
        names = project.issues if target.kind == "issue" else project.articles
        return target.name in names

    def view(self, target: Target) -> View:
        """The page, built first if files changed since its last build."""
        with self._lock:
            state = self._pages.setdefault(target.key, _PageState())
            if state.generation != self.generation:
                self._build(target, state)
            return View(
                target,
                state.built,
                state.findings,
                state.errors,
                state.generation,
                state.html_version,
                state.build_ms,
            )

    def overview(self) -> Overview:
        """Every issue built (newest first), for the index."""
        with self._lock:
            project, errors = self.project()
            issues: list[View] = []
            if project is not None:
                ordered = sorted(
                    project.issues.values(), key=lambda i: (i.meta.date, i.id), reverse=True
                )
                issues = [self.view(Target("issue", issue.id)) for issue in ordered]
            return Overview(project, tuple(issues), errors, self.generation)

    def images(self) -> dict[str, Path]:
        """Files from content/ that the built emails show, by their path under content/."""
        with self._lock:
            found: dict[str, Path] = {}
            for state in self._pages.values():
                if state.built is not None:
                    found.update((ref, path) for path, ref in state.built.images)
            return found

    def _build(self, target: Target, state: _PageState) -> None:
        started = time.perf_counter()
        state.generation = self.generation
        project, load_errors = self.project()
        if load_errors or project is None:
            state.errors = load_errors or (Problem(None, None, "the project could not be loaded"),)
            return
        problems = Problems()
        built: BuiltIssue | None = None
        errors: list[Problem] = []
        try:
            issue = self._issue_for(project, target, problems)
            result = None
            if issue is not None:
                from .. import pipeline

                if self.checks:
                    result = pipeline.build_and_check_issue(project, issue, problems)
                else:
                    one = pipeline.build_issue(project, issue, problems)
                    result = (one, []) if one is not None else None
            if result is not None:
                built = result[0]
                findings = self._findings(project, built, problems, result[1])
            else:
                findings = []
        except NewsletterError as exc:
            built, errors = None, list(exc.problems)
        except Exception as exc:
            built, errors = None, [self._unexpected(exc)]
        errors += problems.errors
        state.build_ms = (time.perf_counter() - started) * 1000
        if built is None or errors:
            state.errors = tuple(errors) or (Problem(None, None, "the email could not be built"),)
            return
        if state.built is None or state.built.html != built.html:
            state.html_version += 1
        state.built, state.findings, state.errors = built, tuple(findings), ()

    def _issue_for(self, project: Project, target: Target, problems: Problems) -> Issue | None:
        if target.kind == "issue":
            issue = project.issues.get(target.name)
            if issue is None:
                problems.add(None, None, f"there is no issue '{target.name}' any more")
            return issue
        article = project.articles.get(target.name)
        if article is None:
            problems.add(None, None, f"there is no article '{target.name}' any more")
            return None
        return article_issue(project, article.slug)

    def _findings(
        self,
        project: Project,
        built: BuiltIssue,
        problems: Problems,
        checked: Iterable[Problem],
    ) -> list[Problem]:
        """The build's warnings (and the load's, for this page's files), then the checks'."""
        own_files = {built.issue.path, project.paths.clinic_file}
        own_files.update(project.articles[s].path for s in built.issue.article_slugs)
        load_warnings = [w for w in self._loaded.warnings if w.path in own_files]
        return [*load_warnings, *problems.warnings, *checked]

    def _unexpected(self, exc: Exception) -> Problem:
        """A bug, not a user's mistake: shown on the page and logged, never fatal."""
        self.log("".join(traceback.format_exception(exc)).rstrip())
        return Problem(
            None, None, f"the preview hit an unexpected error ({type(exc).__name__}: {exc})"
        )


def article_issue(project: Project, slug: str) -> Issue:
    """A one-article issue in the default layout, to preview an article on its own."""
    article = project.articles[slug]
    newest = project.newest_issue()
    date = newest.meta.date if newest is not None else dt.date.today()
    meta = IssueMeta(
        subject=article.meta.title,
        preheader=article.meta.summary.strip(),
        date=date,
        featured=slug,
    )
    return Issue(id=slug, path=article.path, meta=meta, lines={})


def _load(root: Path, problems: Problems) -> Project | None:
    from ..load import load_project

    return load_project(root, problems)
