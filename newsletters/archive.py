"""`newsletter archive`: a static folder of web versions, an index and an Atom feed.

    dist/archive/index.html            every issue, newest first
    dist/archive/<issue>/index.html    the issue as a web page
    dist/archive/feed.xml              Atom feed with absolute links
    dist/archive/images/               the issues' local images, linked relatively

A web version is read by anyone, so it carries nothing personal: the greeting is the clinic's
`send.fallback_first_name`, links carry the same UTM parameters as the email (finish.py), the
unsubscribe link becomes a link to the subscription page, "view in browser" links lead back to
the index. Links are relative inside the folder, absolute (from the archive base URL) in the
feed and canonical links, so the folder works on any host and from disk.
"""

from __future__ import annotations

import datetime as dt
import html
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import merge
from .dates import date_label
from .errors import NewsletterError, Problem, Problems
from .links import rewrite_links

if TYPE_CHECKING:
    from .built import BuiltIssue
    from .model import Project

ATOM = "http://www.w3.org/2005/Atom"


@dataclass(frozen=True)
class Archive:
    """The archive in memory: file path inside dist/archive/ -> content."""

    base_url: str
    files: dict[str, bytes]
    issues: tuple[str, ...]  # newest first
    folder: Path  # where it is written: <out>/archive/ (paths.py)


def base_url(project: Project) -> str:
    """The archive's public address, ending in '/'."""
    clinic = project.clinic
    if clinic.export.archive_base_url:
        return clinic.export.archive_base_url.rstrip("/") + "/"
    template = clinic.web_version_url
    if template.endswith(("/{issue}/", "/{issue}")) and template.count("{issue}") == 1:
        return template[: template.index("{issue}")]
    raise NewsletterError(
        [
            Problem(
                project.paths.clinic_file,
                clinic.lines.get("export", clinic.lines.get("web_version_url")),
                "set export: archive_base_url: to where dist/archive/ will be published, e.g. "
                "https://example.com/newsletter/",
            )
        ]
    )


def build_archive(root: Path, out: Path | None = None) -> tuple[Project, Archive, Problems]:
    """Build every issue and the archive (for <out>/archive/) in memory; raises
    NewsletterError on mistakes."""
    from .pipeline import Policy, build_and_check

    # Issues already sent are archived as they went out: the checks report, never stop.
    checked = build_and_check(root, all_issues=True, policy=Policy.REPORT, out=out)
    project, problems = checked.project, checked.problems
    # ...but a quotation goes on the web only with an authorization that covers the web.
    _refuse_unauthorized_quotations(project, checked.issues)
    archive = make_archive(project, checked.issues)
    for issue_id in archive.issues:
        expected = project.clinic.web_version_url.replace("{issue}", issue_id)
        page = archive.base_url + issue_id + "/"
        if expected.rstrip("/") != page.rstrip("/"):
            problems.warn(
                project.paths.clinic_file,
                project.clinic.lines.get("web_version_url"),
                f"emails link to {expected} for the web version, but the archive will publish "
                f"it at {page}; make web_version_url and export.archive_base_url agree",
            )
            break
    return project, archive, problems


def _refuse_unauthorized_quotations(project: Project, built: Sequence[BuiltIssue]) -> None:
    """A quotation goes on the web only with an authorization that covers the web."""
    from .compliance import web_use_problems

    today = dt.date.today()
    found = [p for item in built for p in web_use_problems(project, item.issue, today)]
    if found:
        raise NewsletterError(list(dict.fromkeys(found)))


def make_archive(project: Project, built: Sequence[BuiltIssue]) -> Archive:
    base = base_url(project)
    ordered = sorted(built, key=lambda b: (b.issue.meta.date, b.issue.id), reverse=True)
    files: dict[str, bytes] = {}
    for item in ordered:
        files[f"{item.issue.id}/index.html"] = web_version(project, item, base).encode("utf-8")
        for source, ref in item.images:
            files[ref] = source.read_bytes()
    files["index.html"] = index_page(project, ordered).encode("utf-8")
    files["feed.xml"] = atom_feed(project, ordered, base)
    return Archive(base, files, tuple(b.issue.id for b in ordered), project.paths.archive)


def title(project: Project) -> str:
    return project.clinic.export.archive_title or f"{project.clinic.name} newsletter"


def web_version(project: Project, built: BuiltIssue, base: str) -> str:
    """The issue as a public page: no personal merge tags, links that work on the web."""
    from .finish import clinic_values

    settings = project.clinic.export
    subscribe = settings.subscribe_url or project.clinic.website
    doc = built.html_template

    def to_subscribe(attributes: str, inner: str) -> str:
        href = html.escape(subscribe, quote=True)
        return f'<a{attributes} href="{href}">{html.escape(settings.subscribe_label)}</a>'

    def to_index(attributes: str, inner: str) -> str:
        label = html.escape(f"All issues of {title(project)}")
        return f'<a{attributes} href="../index.html">{label}</a>'

    doc, _ = rewrite_links(doc, merge.placeholder("unsubscribe_url"), to_subscribe)
    doc, _ = rewrite_links(doc, merge.placeholder("web_version_url"), to_index)
    values = clinic_values(project, built.issue)
    values["unsubscribe_url"] = subscribe
    values["web_version_url"] = base + built.issue.id + "/"
    doc = merge.substitute(doc, values, escape=True)
    # The archive carries its own copy of the images, so the folder works wherever it is served.
    from .confine import url_path

    images_base = project.clinic.images_base_url.rstrip("/") + "/"
    for _, ref in built.images:
        doc = doc.replace(f'"{images_base}{url_path(ref)}"', f'"../{url_path(ref)}"')
    head = (
        f'<link rel="canonical" href="{html.escape(base + built.issue.id + "/")}">\n'
        f'<link rel="alternate" type="application/atom+xml" '
        f'title="{html.escape(title(project))}" href="../feed.xml">\n'
    )
    return doc.replace("</head>", head + "</head>", 1) if "</head>" in doc else head + doc


def index_page(project: Project, ordered: Sequence[BuiltIssue]) -> str:
    """All issues, newest first: plain HTML that needs no stylesheet or script."""
    clinic = project.clinic
    theme = clinic.theme
    name = html.escape(title(project))
    items = []
    for item in ordered:
        m = item.issue.meta
        label = date_label(m.date)
        items.append(
            f'<li><a href="{item.issue.id}/index.html">{html.escape(m.subject)}</a>\n'
            f'<time datetime="{m.date.isoformat()}">{label}</time>\n'
            f"<p>{html.escape(m.preheader)}</p></li>"
        )
    listing = "\n".join(items) or "<li>No issues yet.</li>"
    subscribe = html.escape(clinic.export.subscribe_url or clinic.website, quote=True)
    return f"""<!DOCTYPE html>
<html lang="{html.escape(clinic.language)}" dir="{html.escape(clinic.direction)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>{name}</title>
<link rel="alternate" type="application/atom+xml" title="{name}" href="feed.xml">
<style>
body {{ margin: 0; background: {theme.background}; color: {theme.text};
  font-family: {theme.font_family}; font-size: {theme.font_size}px; line-height: 1.6; }}
main {{ max-width: 640px; margin: 0 auto; padding: 24px; background: {theme.surface}; }}
h1 {{ font-family: {theme.heading_font_family}; color: {theme.heading}; }}
a {{ color: {theme.link}; }}
ol {{ list-style: none; padding: 0; }}
li {{ margin: 0 0 24px; }}
li a {{ font-size: 1.2em; font-weight: bold; }}
time {{ display: block; color: {theme.muted}; font-size: 15px; }}
li p {{ margin: 4px 0 0; }}
</style>
</head>
<body>
<main>
<h1>{name}</h1>
<p><a href="{subscribe}">{html.escape(clinic.export.subscribe_label)}</a> ·
<a href="feed.xml">Feed (Atom)</a></p>
<ol>
{listing}
</ol>
<p>{html.escape(clinic.name)} · <a href="{html.escape(clinic.website, quote=True)}">{
        html.escape(clinic.website)
    }</a></p>
</main>
</body>
</html>
"""


def atom_feed(project: Project, ordered: Sequence[BuiltIssue], base: str) -> bytes:
    """An Atom 1.0 feed (RFC 4287); every link absolute."""
    ET.register_namespace("", ATOM)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    feed = ET.Element(f"{{{ATOM}}}feed")
    feed.set("{http://www.w3.org/XML/1998/namespace}lang", project.clinic.language)
    sub(feed, "id", base)
    sub(feed, "title", title(project))
    newest = ordered[0].issue.meta.date if ordered else dt.date(1970, 1, 1)
    sub(feed, "updated", _timestamp(newest))
    sub(feed, "link", rel="self", href=base + "feed.xml", type="application/atom+xml")
    sub(feed, "link", rel="alternate", href=base, type="text/html")
    author = sub(feed, "author")
    sub(author, "name", project.clinic.name)
    sub(author, "uri", project.clinic.website)
    for item in ordered:
        m = item.issue.meta
        url = base + item.issue.id + "/"
        entry = sub(feed, "entry")
        sub(entry, "id", url)
        sub(entry, "title", m.subject)
        sub(entry, "link", rel="alternate", href=url, type="text/html")
        sub(entry, "updated", _timestamp(m.date))
        sub(entry, "published", _timestamp(m.date))
        sub(entry, "summary", m.preheader)
    ET.indent(feed)
    data: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


def _timestamp(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def write_archive(archive: Archive) -> Path:
    """Write the archive's folder (<out>/archive/), replaced as a whole (write.replace_folder)."""
    from .write import replace_folder

    replace_folder(archive.folder, dict(archive.files))
    return archive.folder
