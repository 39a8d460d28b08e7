"""Finishing: the one place that decides merge values, the greeting fallback and UTM tagging.

Every destination of an issue is finished here, so they cannot disagree:

    stage 6 (pipeline)  `tag_links`: UTM parameters on links to the clinic's own hosts, decided
                        once from clinic.yaml's `export:` settings, then the article markers out.
                        BuiltIssue.html_template / text_template carry the result, so the built
                        email, every platform's export, the archive's web versions and every
                        sent message show the same tagged links.
    built email         `clinic_values`: the clinic's own pages and `send.fallback_first_name`.
    export              the platform's tags; where a platform has none, `clinic_values`; its
                        first-name tag falls back to `send.fallback_first_name` too.
    archive             `clinic_values`, with the unsubscribe link turned into a subscribe link.
    send                `issue_values` once per issue, then each reader's unsubscribe link and
                        `greeting_name` (their first name, or the fallback).

What gets UTM: http(s) links whose host is the clinic's `website` or one of
`export.utm_domains` (a leading www. ignored), unless `export.utm` is false. Parameters already
in a link win. Merge-tag links (unsubscribe, web version, preferences) never get UTM: they are
placeholders while links are tagged. Inside an article's block, links get
`utm_content=<article slug>`; in the plain text, URLs of an article's page do.
"""

from __future__ import annotations

from .links import Utm, add_utm_html, add_utm_text, own_hosts, strip_article_markers
from .model import Clinic, Issue, Project


def utm_for(project: Project, issue: Issue) -> Utm | None:
    """The UTM parameters of an issue, or None when clinic.yaml says `export: utm: false`."""
    settings = project.clinic.export
    if not settings.utm:
        return None
    article_urls = {}
    for slug in issue.article_slugs:
        article = project.articles.get(slug)
        if article is not None and article.meta.url:
            article_urls[article.meta.url.split("#")[0].split("?")[0]] = slug
    return Utm(
        source=settings.utm_source,
        medium=settings.utm_medium,
        campaign=settings.utm_campaign.replace("{issue}", issue.id),
        hosts=own_hosts(project.clinic.website, settings.utm_domains),
        article_urls=article_urls,
    )


def tag_links(project: Project, issue: Issue, html: str, text: str) -> tuple[str, str]:
    """Stage 6 for links: UTM where clinic.yaml wants it, then the article markers out."""
    utm = utm_for(project, issue)
    if utm is not None:
        html = add_utm_html(html, utm)
        text = add_utm_text(text, utm)
    return strip_article_markers(html), text


def web_version_url(clinic: Clinic, issue: Issue) -> str:
    return clinic.web_version_url.replace("{issue}", issue.id)


def preferences_url(clinic: Clinic) -> str:
    return clinic.preferences_url or clinic.unsubscribe_url


def greeting_name(clinic: Clinic, first_name: str = "") -> str:
    """A reader's first name, or the clinic's `send.fallback_first_name` when it is unknown."""
    return first_name.strip() or clinic.send.fallback_first_name


def issue_values(project: Project, issue: Issue) -> dict[str, str]:
    """The merge values every reader of an issue shares: its web version and preferences."""
    clinic = project.clinic
    return {
        "web_version_url": web_version_url(clinic, issue),
        "preferences_url": preferences_url(clinic),
    }


def clinic_values(project: Project, issue: Issue) -> dict[str, str]:
    """Every merge value from the clinic's own pages: a built email works without a platform."""
    return {
        "unsubscribe_url": project.clinic.unsubscribe_url,
        **issue_values(project, issue),
        "first_name": greeting_name(project.clinic),
    }
