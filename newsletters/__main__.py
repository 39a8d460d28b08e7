"""The `newsletter` command: a thin click layer over one library function per command.

Heavy modules (jinja2, mjml, premailer) are imported inside the commands that need them, so
`newsletter --help` stays fast.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

import click

from . import __version__
from .errors import NewsletterError, Problem

F = TypeVar("F", bound=Callable[..., Any])

if TYPE_CHECKING:
    from .model import Project


def echo(message: str = "", *, err: bool = False, nl: bool = True, colour: bool = False) -> None:
    """click.echo for everything this program prints: control characters shown as '?'."""
    from .terminal import clean

    click.echo(clean(str(message), keep_colour=colour), err=err, nl=nl)


class Stop(click.ClickException):
    """A one-line refusal; its message may quote user text, so it is cleaned when shown."""

    def format_message(self) -> str:
        from .terminal import clean

        return clean(self.message)


class ProblemsFound(Stop):
    """Every problem of a run, one line each, then exit 1."""

    def __init__(self, problems: list[Problem], summary: str) -> None:
        super().__init__(summary)
        self.problems = problems

    def show(self, file: IO[Any] | None = None) -> None:
        for problem in self.problems:
            echo_problem(problem)
        echo(self.message, err=True)


def echo_problem(problem: Problem) -> None:
    """One problem on stderr: red for an error, yellow for a warning, on a terminal only."""
    from .cliout import paint

    echo(paint(problem.format(), problem.severity), err=True, colour=True)


def _say_picked(issue_id: str, command: str) -> None:
    """On stderr: which issue a command took when none was named, and why."""
    from .scope import picked_note

    echo(picked_note(issue_id, command), err=True)


def fail(error: NewsletterError, what: str) -> ProblemsFound:
    """The summary counts the errors only: not the warnings shown with them, nor a closing
    note (severity "note")."""
    count = sum(p.severity == "error" for p in error.problems)
    return ProblemsFound(
        error.problems, f"{what} failed: {count} problem{'s' if count != 1 else ''} to fix."
    )


class FullHelpGroup(click.Group):
    """A group whose command list shows each command's whole first sentence, wrapped, instead
    of cutting it at about 45 characters."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(limit=10_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


FullHelpGroup.group_class = FullHelpGroup


def project_root(ctx: click.Context) -> Path:
    """The project folder: -C's folder or the current one, or the nearest parent folder that
    holds content/clinic.yaml (so commands work from content/articles, as git's do)."""
    from .load import discover_root

    start = Path(ctx.obj["project"])
    return discover_root(start) if start.is_dir() else start


def out_folder(ctx: click.Context, out: Path | None = None) -> Path | None:
    """The output folder: the command's --out, else the one given before the command, else
    None (the project's dist/, as paths.py decides). Checked (confine.out_problem): never the
    project's sources, never a file, and a dist/ that is a symbolic link is refused."""
    from .confine import out_problem
    from .load import find_project
    from .paths import ProjectPaths
    from .terminal import clean

    chosen = out if out is not None else ctx.obj.get("out")
    try:
        root = find_project(project_root(ctx))
    except NewsletterError:
        return chosen  # the command reports the missing project
    if chosen is None:
        dist = ProjectPaths.of(root).out
        if dist.is_symlink():
            raise Stop(
                f"{_show(dist)}: is a symbolic link; remove it (outputs are written there) or "
                "choose a folder with --out"
            )
        return None
    problem = out_problem(chosen, root)
    if problem:
        raise click.BadParameter(clean(problem), param_hint="'--out'")
    return chosen


def format_option(help_text: str) -> Callable[[F], F]:
    """`--format text|json`: people read text, other tools read the stable JSON."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help=help_text,
    )


OUT_HELP = "The output folder to write and read (default: dist/ in the project)."
out_option = click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), default=None, help=OUT_HELP
)


def today_option(help_text: str) -> Callable[[F], F]:
    """`--today YYYY-MM-DD`: makes date-dependent output reproducible."""
    return click.option(
        "--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help=help_text
    )


@click.group(cls=FullHelpGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newsletter")
@click.option(
    "-C",
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default="the current folder",
    help="The newsletter project's folder (the one holding content/ and templates/).",
)
@out_option
@click.pass_context
def cli(ctx: click.Context, project: Path, out: Path | None) -> None:
    """Build a clinic's email newsletter from Markdown articles and YAML issues.

    Run `newsletter build` in your project's folder to turn the newest issue into
    dist/<issue>/email.html and email.txt.
    """
    ctx.obj = {"project": project, "out": out}


@cli.command()
@click.argument("issues", nargs=-1, metavar="[ISSUE]...")
@click.option("--all", "all_issues", is_flag=True, help="Build every issue.")
@out_option
@click.option(
    "--strict",
    is_flag=True,
    help="Write nothing and exit 1 when the checks find an error or a warning.",
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
    strict: bool,
    screenshots: bool,
) -> None:
    """Build an issue into dist/<issue>/: email.html, email.txt, email.mjml, meta.json.

    ISSUE is the issue's name, like 2026-11 (its file is content/issues/2026-11.yaml). Without
    one, the newest issue is built. Nothing is written unless every issue builds. The checks of
    `newsletter lint` run too and their findings are printed after the build.
    """
    from .pipeline import ChecksFailed, Policy, build_and_check, write_issue

    if all_issues and issues:
        raise click.UsageError("name issues or use --all, not both")
    root = project_root(ctx)
    try:
        policy = Policy.WARNINGS if strict else Policy.REPORT
        checked = build_and_check(root, issues, all_issues, policy, out_folder(ctx, out))
    except ChecksFailed as exc:
        for warning in exc.checked.problems.warnings:
            echo_problem(warning)
        findings = exc.checked.all_findings
        for finding in findings:
            echo_problem(finding)
        raise Stop(
            f"Build stopped (--strict): {_count(findings)} from the checks; nothing written."
        ) from None
    except NewsletterError as exc:
        raise fail(exc, "Build") from None
    project, built, findings = checked.project, checked.issues, checked.all_findings
    if not issues and not all_issues and built:
        _say_picked(built[0].issue.id, "build")
    for warning in checked.problems.warnings:
        echo_problem(warning)
    for item in built:
        try:
            write_issue(item, project.paths)
        except NewsletterError as exc:
            raise fail(exc, "Build") from None
        size = item.meta["html_bytes"] / 1024
        html, text = (
            project.paths.built_file(item.issue.id, n) for n in ("email.html", "email.txt")
        )
        echo(f"Built {item.issue.id}: {_show(html)} ({size:.1f} KB) and {_show(text)}")
    for finding in findings:
        echo_problem(finding)
    counted = [*findings, *checked.problems.warnings]  # as `newsletter lint` counts them
    if counted:
        echo(
            f"Checks: {_count(counted)}; fix errors before export or send (see 'newsletter lint').",
            err=True,
        )
    if screenshots:
        _screenshots(project, built)


def _screenshots(project: Any, built: Sequence[Any]) -> None:
    """The --screenshots option of `build`: one line per issue, or how to install a browser."""
    from .screenshots import BrowserMissing, take_screenshots

    for item in built:
        try:
            paths = take_screenshots(project, item)
        except BrowserMissing as exc:
            echo(f"error: {exc}", err=True)
            raise SystemExit(1) from None
        names = ", ".join(p.stem for p in paths)
        echo(f"Screenshots of {item.issue.id}: {_show(paths[0].parent)}/ ({names})")


# ---------------------------------------------------------------- newsletter lint (issue 5)


@cli.command(name="lint")
@click.argument("issues", nargs=-1, metavar="[ISSUE]...")
@click.option("--all", "all_issues", is_flag=True, help="Check every issue.")
@format_option("text: one line per finding; json: a stable document for other tools.")
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
    from .cliout import paint
    from .pipeline import Policy, build_and_check
    from .write import dumps_json

    if all_issues and issues:
        raise click.UsageError("name issues or use --all, not both")
    try:
        checked = build_and_check(project_root(ctx), issues, all_issues, Policy.REPORT)
    except NewsletterError as exc:
        raise fail(exc, "Lint") from None
    results, findings = checked.results, checked.all_findings
    if not issues and not all_issues and results:
        _say_picked(results[0][0], "lint")
    for warning in checked.problems.warnings:
        echo_problem(warning)
    if output_format == "json":
        document = lint.to_json(results, checked.project.root)
        echo(dumps_json(lint.add_compatibility(document, checked.issues)), nl=False)
    else:
        from .compat import report, summary

        for finding in findings:
            echo(paint(finding.format(), finding.severity, sys.stdout), colour=True)
        for item in checked.issues:
            echo(f"{item.issue.id}: {summary(report(item.html))}")
        # The build's own warnings (printed above) count as `build` counts them.
        counted = [*findings, *checked.problems.warnings]
        checked_ids = ", ".join(issue_id for issue_id, _ in results)
        echo(f"Checked {checked_ids}: {_count(counted) if counted else 'no findings'}.")
    if (Policy.WARNINGS if strict else Policy.ERRORS).stopping(findings) or (
        strict and checked.problems.warnings
    ):
        ctx.exit(1)


def _count(findings: list[Any]) -> str:
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    return (
        f"{errors} error{'s' if errors != 1 else ''}, "
        f"{warnings} warning{'s' if warnings != 1 else ''}"
    )


@cli.command(name="list")
@format_option("text for people, json for other tools.")
@today_option("The date reviews are counted from (YYYY-MM-DD; default: today).")
@out_option
@click.pass_context
def list_command(
    ctx: click.Context, output_format: str, today: dt.datetime | None, out: Path | None
) -> None:
    """List issues (newest first) with their status, then articles with their health.

    Per issue: problems, built, exported (to which platforms) and sent (date and counts from
    the send journal). Per article: condition, last issue used, medical review date, reading
    time and reading level (Flesch-Kincaid grade).
    """
    from . import status, tables
    from .write import dumps_json

    project = _load_for_planning(ctx, "Listing", out_folder(ctx, out))
    day = today.date() if today else dt.date.today()
    issues = status.issue_statuses(project)
    articles = status.article_statuses(project, day)
    if output_format == "json":
        echo(dumps_json(tables.list_json(issues, articles)), nl=False)
        return
    import shutil

    colour = tables.colour_wanted(sys.stdout)
    width = shutil.get_terminal_size((tables.WIDTH, 24)).columns
    for line in tables.list_lines(issues, articles, tables.styler(colour), width):
        echo(line, colour=colour)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--sample",
    is_flag=True,
    help="Copy the demo clinic (its articles, issues and logos) instead of a clean start.",
)
def init(directory: Path, sample: bool) -> None:
    """Create a new project in DIRECTORY: your clinic's file to fill in, the templates and
    one example article.

    The clinic file's PLACEHOLDER values build and preview, but export and send refuse them
    until you replace them. With --sample you get the demo clinic to try the tool on.
    """
    from .project import init_project

    try:
        init_project(directory, sample)
    except NewsletterError as exc:
        raise fail(exc, "Init") from None
    what = "the demo clinic" if sample else "a new newsletter project"
    echo(f"Created {what} in {directory}.")
    echo(f"Next: cd {directory}")
    if sample:
        echo("then: newsletter build, then: newsletter preview")
    else:
        echo(
            "then: replace the PLACEHOLDER values in content/clinic.yaml and "
            "content/images/logo.png, write an article (newsletter new article SLUG "
            "--condition KEY) and an issue (newsletter new issue)."
        )


@cli.group(name="templates")
def templates_group() -> None:
    """See and take a new version's template fixes, keeping your own template edits."""


def _template_plans(ctx: click.Context) -> tuple[Path, list[Any]]:
    from .load import find_project
    from .upgrade import plan_upgrade

    try:
        root = find_project(project_root(ctx))
    except NewsletterError as exc:
        raise fail(exc, "Templates") from None
    return root, plan_upgrade(root)


@templates_group.command(name="diff")
@click.pass_context
def templates_diff(ctx: click.Context) -> None:
    """Show what the installed version changes in templates/ and what an update would do.

    One line per file that the new version changes, then the changes themselves. Nothing is
    written.
    """
    from .upgrade import STATES

    _, plans = _template_plans(ctx)
    changed = [p for p in plans if p.state != "same"]
    if not changed:
        echo("Your templates are up to date with this version.")
        return
    for plan in changed:
        echo(f"templates/{plan.name}: {STATES[plan.state]}")
    for plan in changed:
        if plan.diff:
            echo("")
            echo(plan.diff, nl=False)
    echo("")
    echo("To take these changes: newsletter templates update")


@templates_group.command(name="update")
@click.option(
    "--accept",
    multiple=True,
    metavar="FILE",
    help="A file you merged by hand (from FILE.merge): record it as up to date.",
)
@click.pass_context
def templates_update(ctx: click.Context, accept: tuple[str, ...]) -> None:
    """Take the installed version's template changes; your own edits are kept.

    Where you and the new version changed the same lines, your file is left as it is and
    templates/FILE.merge shows both; merge them by hand, then run with --accept FILE.
    """
    from .upgrade import STATES, apply_upgrade

    root, plans = _template_plans(ctx)
    try:
        apply_upgrade(root, plans, accept)
    except NewsletterError as exc:
        raise fail(exc, "Templates update") from None
    accepted = {name.removeprefix("templates/") for name in accept}
    conflicts = 0
    for plan in plans:
        name = f"templates/{plan.name}"
        if plan.name in accepted:
            echo(f"{name}: recorded as up to date")
        elif plan.state == "conflict":
            conflicts += 1
            lines = ", ".join(str(n) for n in plan.conflicts)
            echo(
                f"{name}: {STATES['conflict']}; see {name}.merge (line {lines}), keep the lines "
                f"you want, save it as {name}, then run: newsletter templates update "
                f"--accept {name}",
                err=True,
            )
        elif plan.state != "same":
            echo(f"{name}: {STATES[plan.state]}")
    if conflicts:
        ctx.exit(1)
    echo("Templates updated. Build and preview an issue to check them.")


# ---------------------------------------------------------------- planning (issue 8)


def _load_for_planning(ctx: click.Context, what: str, out: Path | None = None) -> Project:
    """The project as far as it loads: `plan` and `list` run whatever is broken, and show it
    (on stderr, before their output). Only a project without a readable clinic.yaml stops."""
    from .errors import Problems
    from .load import load_project

    problems = Problems()
    try:
        project = load_project(project_root(ctx), problems, out)
    except NewsletterError as exc:
        raise fail(exc, what) from None
    if project is None:
        raise fail(NewsletterError(problems.errors), what)
    for problem in problems:
        echo_problem(problem)
    broken = len({p.path for p in problems.errors})
    if broken:
        echo(
            f"{broken} file{'s' if broken != 1 else ''} with problems (above): what they hold "
            "is left out below until they are fixed.",
            err=True,
        )
    return project


def _refused(error: NewsletterError, what: str) -> Stop:
    """A scaffold refused for one reason says it in one line."""
    if len(error.problems) == 1:
        return Stop(error.problems[0].format())
    return fail(error, what)


@cli.group()
def new() -> None:
    """Start a new article or issue from a commented scaffold."""


@new.command(name="article")
@click.argument("slug")
@click.option("--condition", required=True, help="A condition key from clinic.yaml.")
@click.option("--title", default=None, help="The headline (else a TODO to replace).")
@click.pass_context
def new_article_command(ctx: click.Context, slug: str, condition: str, title: str | None) -> None:
    """Write content/articles/SLUG.md with every front matter field, ready to fill in.

    SLUG is the file's name: lowercase letters, digits and dashes. An existing file is never
    overwritten.
    """
    from .scaffold import new_article

    try:
        path = new_article(project_root(ctx), slug, condition, title)
    except NewsletterError as exc:
        raise _refused(exc, "New article") from None
    echo(f"Created {_show(path)}: replace its TODOs, then add it to an issue.")


def _month_argument(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A month that is not YYYY-MM is a command-line mistake (exit 2), named with an example."""
    from .planner import parse_month

    if value is not None and parse_month(value) is None:
        raise click.BadParameter(f"'{value}' is not a month; write it as YYYY-MM, like 2027-01")
    return value


@new.command(name="issue")
@click.argument("month", required=False, metavar="[YYYY-MM]", callback=_month_argument)
@today_option("The date to plan from (YYYY-MM-DD; default: today). The issue is next month's.")
@click.option(
    "--articles",
    "count",
    type=click.IntRange(1, 20),
    default=4,
    show_default=True,
    help="How many articles to suggest.",
)
@click.pass_context
def new_issue_command(
    ctx: click.Context, month: str | None, today: dt.datetime | None, count: int
) -> None:
    """Write content/issues/YYYY-MM.yaml (default: next month) with suggested articles.

    The conditions covered least recently come first; no article used in the last three
    issues is suggested; the featured article is the one whose condition has waited longest.
    The file's comments explain the choice. An existing file is never overwritten.
    """
    from .scaffold import new_issue

    day = today.date() if today else dt.date.today()
    try:
        path, suggestion = new_issue(project_root(ctx), month, day, count)
    except NewsletterError as exc:
        raise _refused(exc, "New issue") from None
    picks = ", ".join(suggestion.picks) or "no articles (see the comments in the file)"
    echo(f"Created {_show(path)} with: {picks}.")
    echo("Replace its TODOs (subject, preheader, intro), then run: newsletter build")


@cli.command()
@click.option(
    "--months",
    type=click.IntRange(1, 120),
    default=12,
    show_default=True,
    help="How many months back to show, ending with the current one.",
)
@format_option("text for people, json for other tools.")
@today_option("The date to plan from (YYYY-MM-DD; default: today).")
@click.pass_context
def plan(ctx: click.Context, months: int, output_format: str, today: dt.datetime | None) -> None:
    """Show which issue covered which condition, month by month, and the reviews due.

    Conditions never covered are named, and so are the articles whose yearly medical review
    is due within 30 days, overdue, or never done.
    """
    from . import planner, tables
    from .write import dumps_json

    project = _load_for_planning(ctx, "Planning")
    result = planner.plan(project, today.date() if today else dt.date.today(), months)
    if output_format == "json":
        echo(dumps_json(tables.plan_json(result)), nl=False)
        return
    colour = tables.colour_wanted(sys.stdout)
    for line in tables.plan_lines(result, tables.styler(colour)):
        echo(line, colour=colour)


# ---------------------------------------------------------------- export and archive (issue 6)

_PLATFORMS = (
    "mailchimp",
    "sendgrid",
    "mailgun",
    "brevo",
    "klaviyo",
    "campaign-monitor",
    "ses",
    "postmark",
    "listmonk",
    "html",
    "eml",
)


def _platform(value: str) -> str:
    """A platform name in any case; a known unsupported platform is pointed to `html`."""
    from .packaging import normalise, unsupported_message

    name = normalise(value)
    if name in (*_PLATFORMS, "all"):
        return name
    hint = unsupported_message(value) or (
        f"'{value}' is not a platform this program knows; choose one of "
        f"{', '.join(_PLATFORMS)} or all (for any other platform, use html)"
    )
    raise click.BadParameter(hint, param_hint="--platform")


@cli.command(name="export")
@click.argument("issue", required=False)
@click.option(
    "--platform",
    "platform",
    required=True,
    callback=lambda ctx, param, value: _platform(value),
    help="The email platform to prepare the issue for (any case), or all of them: "
    + ", ".join(_PLATFORMS)
    + ".",
)
@out_option
@click.pass_context
def export_command(ctx: click.Context, issue: str | None, platform: str, out: Path | None) -> None:
    """Prepare an issue for an email platform: dist/<issue>/export/<platform>/.

    Writes the package the platform's importer takes (Mailchimp: a zip with the HTML and its
    images side by side; Campaign Monitor: the HTML and a zip of its images; the others: the
    HTML with image addresses under images_base_url, and the images to publish there), the
    plain text, meta.json and README.txt with the next steps, which are also printed.
    `--platform eml` writes a complete email file to open in any mail client. Without ISSUE,
    the newest.
    """
    from .export import export, platform_names, write_exports

    root = project_root(ctx)
    try:
        exports, warnings = export(
            root, [issue] if issue else [], platform_names(platform), out_folder(ctx, out)
        )
    except NewsletterError as exc:
        raise fail(exc, "Export") from None
    if not issue and exports:
        _say_picked(exports[0].issue_id, f"export --platform {platform}")
    for warning in warnings:
        echo_problem(warning)
    try:
        folders = write_exports(exports)
    except NewsletterError as exc:
        raise fail(exc, "Export") from None
    for item, folder in zip(exports, folders, strict=True):
        echo(f"Exported {item.issue_id} for {item.title}: {_show(folder)}")
        for note in item.notes:
            echo(f"  note: {note}")
        for line in item.next_steps:
            echo(line)


@cli.command(name="archive")
@out_option
@click.pass_context
def archive_command(ctx: click.Context, out: Path | None) -> None:
    """Write dist/archive/: a web page per issue, an index of all issues and an Atom feed.

    Publish the folder at export.archive_base_url (by default the start of web_version_url).
    """
    from .archive import build_archive, write_archive

    root = project_root(ctx)
    try:
        _, archive, problems = build_archive(root, out_folder(ctx, out))
    except NewsletterError as exc:
        raise fail(exc, "Archive") from None
    for warning in problems.warnings:
        echo_problem(warning)
    try:
        target = write_archive(archive)
    except NewsletterError as exc:
        raise fail(exc, "Archive") from None
    count = len(archive.issues)
    echo(
        f"Archived {count} issue{'s' if count != 1 else ''} in {_show(target)}; "
        f"publish it at {archive.base_url} (feed: {archive.base_url}feed.xml)"
    )


@cli.command()
@click.argument("issue", required=False, metavar="[ISSUE]")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="The port to serve on; 0 picks a free one.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="The address to listen on. Keep the default unless others must see it.",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the preview in your web browser.")
@click.pass_context
def preview(
    ctx: click.Context, issue: str | None, port: int, host: str, open_browser: bool
) -> None:
    """Show the newsletter in your browser, updated each time you save a file.

    ISSUE (like 2026-11) opens that issue's page; without it, the list of all issues opens.
    Stop the preview with Ctrl+C.
    """
    from .preview import open_preview

    root = project_root(ctx)
    try:
        from .load import find_project

        find_project(root)
        server = open_preview(root, issue, host, port)
    except NewsletterError as exc:
        raise fail(exc, "Preview") from None
    except OSError as exc:
        raise Stop(
            f"cannot listen on {host}:{port} or the next ports ({exc.strerror}); "
            "try another, e.g. --port 0 for any free one"
        ) from None
    if port and server.port != port:
        echo(f"Port {port} is busy, so the preview uses port {server.port}.")
    url = server.start_url()
    echo(f"Previewing at {url}  (press Ctrl+C to stop)", err=False)
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        echo("Preview stopped.")


# ---------------------------------------------------------------- doctor (issue 17)


def _dns_server(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    from .doctor import parse_server

    try:
        parse_server(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


@cli.command()
@click.option(
    "--dns-server",
    metavar="HOST[:PORT]",
    default=None,
    callback=_dns_server,
    help="Ask this DNS server instead of the computer's (split DNS, tests).",
)
@click.pass_context
def doctor(ctx: click.Context, dns_server: str | None) -> None:
    """Check that your domain lets inboxes trust the newsletter: SPF, DMARC, DKIM and MX.

    Reads the sender and reply-to addresses and send: dkim_* in clinic.yaml, and the SMTP
    server in NEWSLETTER_SMTP_HOST. Says what is missing and whom to ask. Exit 1 on a problem.
    """
    from .doctor import run_doctor

    try:
        report = run_doctor(project_root(ctx), dns_server)
    except NewsletterError as exc:
        raise fail(exc, "Doctor") from None
    for line in report.passed:
        echo(f"ok: {line}")
    for problem in report.problems:
        echo(problem.format())
    errors = sum(p.severity == "error" for p in report.problems)
    warnings = len(report.problems) - errors
    echo(f"Doctor: {len(report.passed)} ok, {errors} to fix, {warnings} to look at.")
    if report.failed:
        ctx.exit(1)


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
@out_option
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
    out: Path | None,
) -> None:
    """Send ISSUE (default: the newest): a test with --to, or to a list with --list.

    SMTP settings come from NEWSLETTER_SMTP_HOST, _PORT, _USER, _PASSWORD and _SECURITY;
    unsubscribe tokens from NEWSLETTER_UNSUBSCRIBE_SECRET. See docs/guide/send.md.
    """
    import sys

    from .delivery import run

    root = project_root(ctx)
    if sum((bool(to), list_file is not None, status)) != 1:
        raise click.UsageError("use one of --to ADDRESS, --list FILE or --status")
    if (confirm or retry_unknown) and list_file is None:
        raise click.UsageError("--confirm and --retry-unknown go with --list")
    if list_file is not None and not issue:
        # The newest issue is soon next month's draft: a list send never guesses.
        raise click.UsageError(
            "name the issue to send to a list, e.g. newsletter send 2026-11 --list FILE"
        )
    try:
        if status:
            for line in run.status_lines(root, issue, out_folder(ctx, out)):
                echo(line)
            return
        prepared = run.prepare(root, issue, out_folder(ctx, out), proof=bool(to))
        if not issue:
            _say_picked(prepared.built.issue.id, "send --to ADDRESS")
        if to:
            run.check_test_addresses(to)
            transport = run.transport_from_env(project=prepared.project)
            try:
                results = run.test_send(prepared, to, transport)
            finally:
                transport.close()
            for address, reply, ok in results:
                echo(f"{'Sent' if ok else 'FAILED'}: test of {prepared.built.issue.id} "
                           f"to {address}: {reply}")  # fmt: skip
            if prepared.open_problems:
                count = len(prepared.open_problems)
                echo(
                    f"This was a draft proof, marked [DRAFT]: its {count} open "
                    f"problem{'s' if count != 1 else ''} (listed at its top) must be fixed "
                    "before a list send or export.",
                    err=True,
                )
            if not all(ok for _, _, ok in results):
                ctx.exit(1)
            return
        assert list_file is not None
        import dataclasses

        from .optouts.collect import require_a_way, staleness_warnings

        try:
            require_a_way(prepared.project)
        except NewsletterError as exc:
            if confirm:
                raise
            for problem in exc.problems:  # a dry run goes on, and says what --confirm needs
                echo_problem(dataclasses.replace(problem, severity="warning"))
        for warning in staleness_warnings(prepared.project):
            echo(f"warning: {warning}", err=True)
        plan = run.plan_list(prepared, list_file)
        for line in run.plan_lines(plan, retry_unknown):
            echo(line)
        if not confirm:
            outbox, count = run.write_outbox(plan, retry_unknown)
            echo(f"Dry run: wrote {count} messages to {_show(outbox)}/. Nothing was sent.")
            echo("Add --confirm to send them.")
            return
        count = len(plan.to_send) + (len(plan.unknown) if retry_unknown else 0)
        if count == 0:
            echo("Nothing to send.")
            return
        if sys.stdin.isatty():
            typed = click.prompt(
                f"Type {count} to send {count} messages now", default="", show_default=False
            )
            if typed.strip() != str(count):
                raise Stop("not confirmed; nothing was sent")
        transport = run.transport_from_env(project=prepared.project)
        run.preflight(transport)
        retry = run.Retry(sleep=lambda seconds: run.countdown(seconds, _status_line))
        if sys.stdout.isatty():
            with click.progressbar(length=count, label="Sending") as bar:
                summary = run.send_list(
                    plan,
                    transport,
                    rate=rate,
                    retry_unknown=retry_unknown,
                    retry=retry,
                    progress=bar.update,
                )
        else:
            summary = run.send_list(
                plan, transport, rate=rate, retry_unknown=retry_unknown, retry=retry
            )
    except NewsletterError as exc:
        raise fail(exc, "Send") from None
    except KeyboardInterrupt:
        echo("Stopped. Run the same command again to continue where it stopped.", err=True)
        ctx.exit(130)
    for line in run.summary_lines(summary):
        echo(line)
    if summary.stopped:
        raise Stop(f"the send stopped: {summary.stopped}")
    if summary.failed or summary.deferred or len(summary.unknown) > summary.carried_unknown:
        ctx.exit(1)  # something of this run needs a person (unknowns: see the summary's advice)


# ---------------------------------------------------------------- setup (issue 16)


class _ClickPrompts:
    """setup.Prompts on the terminal: click's prompts, passwords hidden."""

    def ask(self, text: str, default: str | None = None) -> str:
        return str(click.prompt(text, default=default, show_default=bool(default)))

    def secret(self, text: str) -> str:
        value = click.prompt(text, default="", hide_input=True, show_default=False)
        return str(value)

    def confirm(self, text: str, default: bool = True) -> bool:
        return bool(click.confirm(text, default=default))

    def say(self, text: str) -> None:
        echo(text)


@cli.command(name="setup")
@click.pass_context
def setup_command(ctx: click.Context) -> None:
    """Keep the sending settings: email service, login, opt-out mailbox (asks in plain words).

    Passwords and the unsubscribe secret go to this computer's keychain (Windows Credential
    Locker, macOS Keychain, Secret Service on Linux); the rest to clinic.yaml's send: block.
    The connection is checked before anything is saved; no message is sent.
    """
    from .setup import run_setup

    try:
        lines = run_setup(project_root(ctx), _ClickPrompts())
    except NewsletterError as exc:
        raise fail(exc, "Setup") from None
    except click.Abort:
        raise Stop("setup stopped; nothing was saved") from None
    for line in lines:
        echo(line)


# ---------------------------------------------------------------- opt-outs (issue 16)


@cli.group()
def unsubscribes() -> None:
    """Collect and show the readers who opted out (see docs/opt-outs.md)."""


@unsubscribes.command(name="fetch")
@click.option(
    "--from",
    "from_url",
    metavar="URL",
    default=None,
    help="The one-click service's address (default: send.one_click_url in clinic.yaml).",
)
@click.pass_context
def unsubscribes_fetch(ctx: click.Context, from_url: str | None) -> None:
    """Collect opt-outs from the opt-out mailbox and the one-click service, and record them.

    Mails are marked handled in the mailbox, so each is counted once; a list send never
    reaches anyone recorded. Run it before every list send (Gmail and Yahoo ask that opt-outs
    are honoured within 2 days).
    """
    from .optouts.collect import fetch_all

    try:
        results = fetch_all(project_root(ctx), from_url)
    except NewsletterError as exc:
        raise fail(exc, "Collecting opt-outs") from None
    for item in results:
        left = f"; {item.left} other mails left for you to read" if item.left else ""
        echo(f"{item.source}: {item.found} opt-outs, {item.new} new{left}")


@unsubscribes.command(name="list")
@format_option("text for people, json for other tools.")
@click.pass_context
def unsubscribes_list(ctx: click.Context, output_format: str) -> None:
    """Show everyone who opted out: when, how (one-click, mail, by hand, bounce), which issue."""
    from dataclasses import asdict

    from .optouts.collect import list_all
    from .write import dumps_json

    try:
        found = list_all(project_root(ctx))
    except NewsletterError as exc:
        raise fail(exc, "Listing opt-outs") from None
    if output_format == "json":
        echo(dumps_json({"opt_outs": [asdict(o) for o in found]}), nl=False)
        return
    for o in found:
        issue = f" from {o.issue}" if o.issue else ""
        echo(f"{o.at}  {o.how:<9}  {o.address}{issue}")
    echo(f"{len(found)} opted out.")


@cli.command(name="unsubscribe-server")
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8025, show_default=True, help="0: any free."
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to keep what arrives (default: opt-out-service.sqlite in the project).",
)
@click.pass_context
def unsubscribe_server(ctx: click.Context, host: str, port: int, db: Path | None) -> None:
    """Run the one-click unsubscribe service (RFC 8058) for send.one_click_url.

    Put it behind your HTTPS address (a reverse proxy or your host's TLS); readers' links and
    mail programs' one-click requests arrive at /u/<token>. Stop it with Ctrl+C.
    """
    from .load import load_checked
    from .optouts.collect import unsubscribe_secret
    from .optouts.webapp import SERVICE_DB_NAME, OptOutApp, ServiceDatabase, serve

    try:
        project = load_checked(project_root(ctx))
        secret = unsubscribe_secret(project)
        database = ServiceDatabase(db or project.root / SERVICE_DB_NAME)
    except NewsletterError as exc:
        raise fail(exc, "The opt-out service") from None
    app = OptOutApp(secret, database, project.clinic.name)

    def ready(url: str) -> None:
        echo(f"Opt-out service listening at {url}  (press Ctrl+C to stop)")
        sys.stdout.flush()

    try:
        serve(app, host, port, ready)
    except OSError as exc:
        raise Stop(f"cannot listen on {host}:{port} ({exc.strerror}); try another --port") from None
    except KeyboardInterrupt:
        echo("Opt-out service stopped.")
    finally:
        database.close()


def _status_line(text: str) -> None:
    """One line that rewrites itself on a terminal (the retry countdown); plain lines elsewhere."""
    from .terminal import clean

    if sys.stderr.isatty():
        click.echo(f"\r\033[K{clean(text)}", err=True, nl=not text)
    elif text:
        echo(text, err=True)


def _show(path: Path) -> str:
    from .errors import display_path

    return display_path(path)


def main() -> None:
    cli(prog_name="newsletter")


if __name__ == "__main__":
    main()
