"""The `newsletter` command: a thin click layer over one library function per command.

Heavy modules (jinja2, mjml, premailer) are imported inside the commands that need them, so
`newsletter --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

import click

from . import __version__
from .errors import NewsletterError, Problem


class ProblemsFound(click.ClickException):
    """Every problem of a run, one line each, then exit 1."""

    def __init__(self, problems: list[Problem], summary: str) -> None:
        super().__init__(summary)
        self.problems = problems

    def show(self, file: IO[Any] | None = None) -> None:
        for problem in self.problems:
            click.echo(problem.format(), err=True)
        click.echo(self.message, err=True)


def fail(error: NewsletterError, what: str) -> ProblemsFound:
    count = len(error.problems)
    return ProblemsFound(
        error.problems, f"{what} failed: {count} problem{'s' if count != 1 else ''} to fix."
    )


def project_root(ctx: click.Context) -> Path:
    return Path(ctx.obj["project"])


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newsletter")
@click.option(
    "-C",
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default="the current folder",
    help="The newsletter project's folder (the one holding content/ and templates/).",
)
@click.pass_context
def cli(ctx: click.Context, project: Path) -> None:
    """Build a clinic's email newsletter from Markdown articles and YAML issues.

    Run `newsletter build` in your project's folder to turn the newest issue into
    dist/<issue>/email.html and email.txt.
    """
    ctx.obj = {"project": project}


@cli.command()
@click.argument("issues", nargs=-1, metavar="[ISSUE]...")
@click.option("--all", "all_issues", is_flag=True, help="Build every issue.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write the output (default: dist/ in the project).",
)
@click.option(
    "--screenshots",
    is_flag=True,
    help="Also save desktop, phone and dark-mode pictures of each email in "
    "dist/<issue>/screenshots/ (needs Playwright and Chromium).",
)
@click.pass_context
def build(
    ctx: click.Context,
    issues: tuple[str, ...],
    all_issues: bool,
    out: Path | None,
    screenshots: bool,
) -> None:
    """Build an issue into dist/<issue>/: email.html, email.txt, email.mjml, meta.json.

    ISSUE is the issue's name, like 2026-11 (its file is content/issues/2026-11.yaml). Without
    one, the newest issue is built. Nothing is written unless every issue builds.
    """
    from .pipeline import build as run_build
    from .pipeline import write_issue

    if all_issues and issues:
        raise click.UsageError("name issues or use --all, not both")
    root = project_root(ctx)
    try:
        project, built, problems = run_build(root, issues, all_issues)
    except NewsletterError as exc:
        raise fail(exc, "Build") from None
    out_dir = out or project.root / "dist"
    for warning in problems.warnings:
        click.echo(warning.format(), err=True)
    for item in built:
        target = write_issue(item, out_dir)
        size = item.meta["html_bytes"] / 1024
        click.echo(
            f"Built {item.issue.id}: {_show(target / 'email.html')} ({size:.1f} KB) "
            f"and {_show(target / 'email.txt')}"
        )
    if screenshots:
        _screenshots(project, built, out_dir)


def _screenshots(project: Any, built: list[Any], out_dir: Path) -> None:
    """The --screenshots option of `build`: one line per issue, or how to install a browser."""
    from .screenshots import BrowserMissing, take_screenshots

    for item in built:
        try:
            paths = take_screenshots(project, item, out_dir)
        except BrowserMissing as exc:
            click.echo(f"error: {exc}", err=True)
            raise SystemExit(1) from None
        names = ", ".join(p.stem for p in paths)
        click.echo(f"Screenshots of {item.issue.id}: {_show(paths[0].parent)}/ ({names})")


@cli.command(name="list")
@click.pass_context
def list_command(ctx: click.Context) -> None:
    """List the project's issues (newest first) and articles, one line each."""
    from .errors import Problems
    from .load import load_project
    from .project import list_lines

    problems = Problems()
    try:
        project = load_project(project_root(ctx), problems)
    except NewsletterError as exc:
        raise fail(exc, "Listing") from None
    if project is None:
        raise fail(NewsletterError(problems.errors), "Listing")
    for line in list_lines(project):
        click.echo(line)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """Create a new project in DIRECTORY from the sample clinic's files."""
    from .project import init_project

    try:
        init_project(directory)
    except NewsletterError as exc:
        raise fail(exc, "Init") from None
    click.echo(f"Created a newsletter project in {directory}.")
    click.echo(
        f"Next: edit {directory}/content/clinic.yaml, then run: newsletter -C {directory} build"
    )


def _show(path: Path) -> str:
    from .errors import display_path

    return display_path(path)


def main() -> None:
    cli(prog_name="newsletter")


if __name__ == "__main__":
    main()
