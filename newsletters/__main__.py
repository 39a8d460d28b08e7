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
    "--strict",
    is_flag=True,
    help="Write nothing and exit 1 when the checks find an error or a warning.",
)
@click.pass_context
def build(
    ctx: click.Context,
    issues: tuple[str, ...],
    all_issues: bool,
    out: Path | None,
    strict: bool,
) -> None:
    """Build an issue into dist/<issue>/: email.html, email.txt, email.mjml, meta.json.

    ISSUE is the issue's name, like 2026-11 (its file is content/issues/2026-11.yaml). Without
    one, the newest issue is built. Nothing is written unless every issue builds. The checks of
    `newsletter lint` run too and their findings are printed after the build.
    """
    from . import lint
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
    findings = [f for item in built for f in lint.run_checks(project, item)]
    if strict and lint.has_failures(findings, strict=True):
        for finding in findings:
            click.echo(lint.format_text(finding), err=True)
        raise click.ClickException(
            f"Build stopped (--strict): {_count(findings)} from the checks; nothing written."
        )
    for item in built:
        target = write_issue(item, out_dir)
        size = item.meta["html_bytes"] / 1024
        click.echo(
            f"Built {item.issue.id}: {_show(target / 'email.html')} ({size:.1f} KB) "
            f"and {_show(target / 'email.txt')}"
        )
    for finding in findings:
        click.echo(lint.format_text(finding), err=True)
    if findings:
        click.echo(
            f"Checks: {_count(findings)}; fix errors before export or send "
            "(see 'newsletter lint').",
            err=True,
        )


# ---------------------------------------------------------------- newsletter lint (issue 5)


@cli.command(name="lint")
@click.argument("issues", nargs=-1, metavar="[ISSUE]...")
@click.option("--all", "all_issues", is_flag=True, help="Check every issue.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: one line per finding; json: a stable document for other tools.",
)
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too, not only on errors.")
@click.pass_context
def lint_command(
    ctx: click.Context,
    issues: tuple[str, ...],
    all_issues: bool,
    output_format: str,
    strict: bool,
) -> None:
    """Check an issue before it goes out: law, deliverability, accessibility, health claims.

    Prints one line per finding, `file:line: error [rule-id] message`, and exits 1 when there
    is an error (with --strict, also a warning). Without ISSUE the newest issue is checked.
    """
    from . import lint
    from .write import dumps_json

    if all_issues and issues:
        raise click.UsageError("name issues or use --all, not both")
    try:
        project, results = lint.lint_project(project_root(ctx), issues, all_issues)
    except NewsletterError as exc:
        raise fail(exc, "Lint") from None
    findings = [f for _, found in results for f in found]
    if output_format == "json":
        click.echo(dumps_json(lint.to_json(results, project.root)), nl=False)
    else:
        for finding in findings:
            click.echo(lint.format_text(finding))
        checked = ", ".join(issue_id for issue_id, _ in results)
        click.echo(f"Checked {checked}: {_count(findings) if findings else 'no findings'}.")
    if lint.has_failures(findings, strict):
        ctx.exit(1)


def _count(findings: list[Any]) -> str:
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    return (
        f"{errors} error{'s' if errors != 1 else ''}, "
        f"{warnings} warning{'s' if warnings != 1 else ''}"
    )


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
