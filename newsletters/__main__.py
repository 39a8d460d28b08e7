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
@click.pass_context
def build(ctx: click.Context, issues: tuple[str, ...], all_issues: bool, out: Path | None) -> None:
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


# ---------------------------------------------------------------- send (issue 7)


@cli.command(name="send")
@click.argument("issue", required=False)
@click.option("--to", "to", multiple=True, metavar="ADDRESS", help="Send a test to ADDRESS.")
@click.option(
    "--list",
    "list_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Send to the subscribers in this CSV (a dry run without --confirm).",
)
@click.option("--confirm", is_flag=True, help="Really send to the list.")
@click.option(
    "--rate",
    type=click.FloatRange(min=0, min_open=True),
    metavar="N",
    default=None,
    help="Messages per second (default: send.rate in clinic.yaml).",
)
@click.option(
    "--retry-unknown",
    is_flag=True,
    help="Also send to readers whose state is unknown after a stopped send (may repeat).",
)
@click.option("--status", is_flag=True, help="Show the journal of the issue's list send.")
@click.pass_context
def send_command(
    ctx: click.Context,
    issue: str | None,
    to: tuple[str, ...],
    list_file: Path | None,
    confirm: bool,
    rate: float | None,
    retry_unknown: bool,
    status: bool,
) -> None:
    """Send ISSUE (default: the newest): a test with --to, or to a list with --list.

    SMTP settings come from NEWSLETTER_SMTP_HOST, _PORT, _USER, _PASSWORD and _SECURITY;
    unsubscribe tokens from NEWSLETTER_UNSUBSCRIBE_SECRET. See the README's Sending section.
    """
    import sys

    from .delivery import run

    root = project_root(ctx)
    if sum((bool(to), list_file is not None, status)) != 1:
        raise click.UsageError("use one of --to ADDRESS, --list FILE or --status")
    if (confirm or retry_unknown) and list_file is None:
        raise click.UsageError("--confirm and --retry-unknown go with --list")
    try:
        if status:
            for line in run.status_lines(root, issue):
                click.echo(line)
            return
        prepared = run.prepare(root, issue)
        if to:
            run.check_test_addresses(to)
            transport = run.transport_from_env()
            try:
                results = run.test_send(prepared, to, transport)
            finally:
                transport.close()
            for address, reply, ok in results:
                click.echo(f"{'Sent' if ok else 'FAILED'}: test of {prepared.built.issue.id} "
                           f"to {address}: {reply}")  # fmt: skip
            if not all(ok for _, _, ok in results):
                ctx.exit(1)
            return
        assert list_file is not None
        plan = run.plan_list(prepared, list_file)
        for line in run.plan_lines(plan, retry_unknown):
            click.echo(line)
        if not confirm:
            outbox, count = run.write_outbox(plan, retry_unknown)
            click.echo(f"Dry run: wrote {count} messages to {_show(outbox)}/. Nothing was sent.")
            click.echo("Add --confirm to send them.")
            return
        count = len(plan.to_send) + (len(plan.unknown) if retry_unknown else 0)
        if count == 0:
            click.echo("Nothing to send.")
            return
        if sys.stdin.isatty():
            typed = click.prompt(
                f"Type {count} to send {count} messages now", default="", show_default=False
            )
            if typed.strip() != str(count):
                raise click.ClickException("not confirmed; nothing was sent")
        transport = run.transport_from_env()
        if sys.stdout.isatty():
            with click.progressbar(length=count, label="Sending") as bar:
                summary = run.send_list(
                    plan, transport, rate=rate, retry_unknown=retry_unknown, progress=bar.update
                )
        else:
            summary = run.send_list(plan, transport, rate=rate, retry_unknown=retry_unknown)
    except NewsletterError as exc:
        raise fail(exc, "Send") from None
    except KeyboardInterrupt:
        click.echo("Stopped. Run the same command again to continue where it stopped.", err=True)
        ctx.exit(130)
    for line in run.summary_lines(summary):
        click.echo(line)
    if summary.stopped:
        raise click.ClickException(f"the send stopped: {summary.stopped}")
    if summary.failed or summary.deferred:
        ctx.exit(1)


def _show(path: Path) -> str:
    from .errors import display_path

    return display_path(path)


def main() -> None:
    cli(prog_name="newsletter")


if __name__ == "__main__":
    main()
