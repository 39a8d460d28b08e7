"""Links in a built email: UTM parameters, article markers, rewriting merge-tag links.

Shared by export (UTM, platform elements) and archive (web versions). Works on the HTML as
text: MRML and premailer write every attribute in double quotes, and the HTML is ours.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .memo import Memo

# templates/partials/article.mjml.j2 wraps each article in these comments.
ARTICLE_BLOCK = re.compile(r"<!-- nl-article:([a-z0-9-]+) -->(.*?)<!-- /nl-article -->", re.S)
_MARKER = re.compile(r"<!-- (?:nl-article:[a-z0-9-]+|/nl-article) -->")
_HREF = re.compile(r"(\shref\s*=\s*)([\"'])(.*?)\2", re.S | re.I)
_TEXT_URL = re.compile(r"https?://[^\s<>\"'\]\)]+")


@dataclass(frozen=True)
class Utm:
    """The UTM parameters of one export and the hosts that get them."""

    source: str
    medium: str
    campaign: str
    hosts: frozenset[str]  # normalised: lowercase, without a leading www.
    article_urls: Mapping[str, str]  # article URL without query/fragment -> slug

    @property
    def key(self) -> tuple[object, ...]:
        """Everything a tagged URL depends on, hashable."""
        articles = tuple(sorted(self.article_urls.items()))
        return (self.source, self.medium, self.campaign, self.hosts, articles)

    def params(self, content: str | None) -> list[tuple[str, str]]:
        pairs = [
            ("utm_source", self.source),
            ("utm_medium", self.medium),
            ("utm_campaign", self.campaign),
        ]
        if content:
            pairs.append(("utm_content", content))
        return [(k, v) for k, v in pairs if v]


def normalise_host(host: str) -> str:
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def own_hosts(website: str, extra: Iterable[str]) -> frozenset[str]:
    hosts = {normalise_host(urlsplit(website).hostname or "")}
    for domain in extra:
        name = urlsplit(domain).hostname if "://" in domain else domain.split("/")[0]
        if name:
            hosts.add(normalise_host(name))
    return frozenset(h for h in hosts if h)


def strip_article_markers(document: str) -> str:
    return _MARKER.sub("", document)


def tag_url(url: str, utm: Utm, content: str | None) -> str:
    """The URL with UTM parameters if it is an http(s) link to one of our hosts.

    Parameters already in the URL win; the rest of the query string is kept as written.
    """
    if not url.lower().startswith(("http://", "https://")):
        return url
    parts = urlsplit(url)
    if normalise_host(parts.hostname or "") not in utm.hosts:
        return url
    content = content or utm.article_urls.get(_bare(url))
    present = {key for key, _ in parse_qsl(parts.query, keep_blank_values=True)}
    added = [(k, v) for k, v in utm.params(content) if k not in present]
    if not added:
        return url
    query = parts.query + ("&" if parts.query else "") + urlencode(added)
    return urlunsplit(parts._replace(query=query))


# (url, utm_content, Utm.key) -> the tagged URL: an issue's links are the same on every
# rebuild, and parsing and re-encoding each one is most of the tagging.
_tagged: Memo[tuple[str, str | None, tuple[object, ...]], str] = Memo()


def _tag_url_remembered(url: str, utm: Utm, key: tuple[object, ...], content: str | None) -> str:
    return _tagged.get((url, content, key), len(url), partial(tag_url, url, utm, content))


def _bare(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query="", fragment=""))


def add_utm_html(document: str, utm: Utm) -> str:
    """UTM on every href to our hosts; utm_content is the article a link sits in."""
    out: list[str] = []
    position = 0
    key = utm.key
    for block in ARTICLE_BLOCK.finditer(document):
        out.append(_tag_hrefs(document[position : block.start()], utm, key, None))
        out.append(_tag_hrefs(block.group(0), utm, key, block.group(1)))
        position = block.end()
    out.append(_tag_hrefs(document[position:], utm, key, None))
    return "".join(out)


def _tag_hrefs(fragment: str, utm: Utm, key: tuple[object, ...], content: str | None) -> str:
    def one(match: re.Match[str]) -> str:
        raw = match.group(3)
        url = html.unescape(raw)
        tagged = _tag_url_remembered(url, utm, key, content)
        if tagged == url:
            return match.group(0)
        return f"{match.group(1)}{match.group(2)}{html.escape(tagged, quote=True)}{match.group(2)}"

    return _HREF.sub(one, fragment)


def add_utm_text(document: str, utm: Utm) -> str:
    """UTM on URLs in the plain text; utm_content when the URL is an article's page."""

    key = utm.key

    def one(match: re.Match[str]) -> str:
        url = match.group(0)
        trail = ""
        while url and url[-1] in ".,;:!?":
            url, trail = url[:-1], url[-1] + trail
        return _tag_url_remembered(url, utm, key, None) + trail

    return _TEXT_URL.sub(one, document)


def rewrite_links(document: str, href: str, replace: Callable[[str, str], str]) -> tuple[str, int]:
    """Replace every `<a ... href="HREF" ...>inner</a>`; `replace(attributes, inner)`.

    `attributes` are the link's other attributes (leading space included) without href.
    Returns the document and how many links were replaced.
    """
    pattern = re.compile(
        r"<a\b(?P<before>[^>]*?)\s+href\s*=\s*([\"'])"
        + re.escape(href)
        + r"\2(?P<after>[^>]*)>(?P<inner>.*?)</a\s*>",
        re.S | re.I,
    )

    def one(match: re.Match[str]) -> str:
        return replace(match.group("before") + match.group("after"), match.group("inner"))

    return pattern.subn(one, document)
