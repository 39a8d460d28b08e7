"""`newsletter export`: the built issue as each email platform expects it.

The pipeline leaves opaque placeholders (merge.py) where per-reader values go. Here they
become the platform's own merge tags; links to the clinic's site already carry their UTM
parameters (finish.py decides them once for every destination). Every export is then checked:
each expected tag present byte for byte, no other platform's syntax, nothing URL- or
HTML-encoded, no placeholder left. A failed check is a bug in this program and stops the export.

Tags were checked against each platform's documentation; see docs/guide/export.md.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from . import merge
from .errors import NewsletterError, Problem
from .links import rewrite_links

if TYPE_CHECKING:
    from .built import BuiltIssue
    from .model import Project
    from .pipeline import Checked

UNSUB, WEB, PREFS, FIRST = merge.TAGS


@dataclass(frozen=True)
class Dialect:
    """A platform's template language: where its engine would start running the text.

    `trigger` matches the first character of every sequence the engine evaluates (`{` of
    `{{`, `*` of `*|`...). Content is made inert before the platform's own tags go in: in HTML
    that character becomes a numeric character reference (the reader sees the same text; the
    engine sees no tag), in plain text and in the subject a WORD JOINER (U+2060, invisible)
    follows it. Content never needs refusing, and what readers see does not change.
    """

    name: str
    trigger: re.Pattern[str]

    def escape_html(self, document: str) -> str:
        return _in_text_and_attributes(
            document, lambda text: self.trigger.sub(lambda m: f"&#{ord(m.group(0))};", text)
        )

    def escape_text(self, text: str) -> str:
        return self.trigger.sub(lambda m: m.group(0) + WORD_JOINER, text)

    def live(self, document: str, own_tags: Sequence[str], is_html: bool) -> list[str]:
        """Sequences the engine would still run, besides the platform's own tags."""
        for tag in sorted(own_tags, key=len, reverse=True):
            document = document.replace(tag, "")
        found: list[str] = []

        def collect(text: str) -> str:
            found.extend(text[m.start() : m.start() + 12] for m in self.trigger.finditer(text))
            return text

        if is_html:
            _in_text_and_attributes(document, collect)
        else:
            collect(document)
        return found


WORD_JOINER = "\u2060"
_CURLY = r"\{(?=\{)"  # Handlebars, Mustache, Go templates: {{
_DJANGO = r"\{(?=[{%#])"  # Liquid / Django / Jinja-like: {{ {% {#
_MARKUP = re.compile(
    r"(<!--.*?-->|<(style|script)\b[^>]*>.*?</\2\s*>|<![^>]*>|<[^>]*>)", re.S | re.I
)
_ATTRIBUTE = re.compile(r"""(=\s*)("[^"]*"|'[^']*')""")

DIALECTS = {
    d.name: d
    for d in (
        Dialect("mailchimp", re.compile(r"\*(?=\|)|\|(?=\*)")),
        Dialect("handlebars", re.compile(_CURLY)),
        # Handlebars, plus SendGrid's legacy substitution tags [%name%] and <%asm_...%>
        Dialect("sendgrid", re.compile(_CURLY + r"|\[(?=%)|<(?=%)")),
        Dialect(
            "mailgun",
            re.compile(
                _CURLY + r"|%(?=(?:recipient\b[\w.]*|\w*unsubscribe_url|recipient_\w+)%)", re.I
            ),
        ),
        Dialect("django", re.compile(_DJANGO)),
        Dialect("campaign-monitor", re.compile(r"\[(?=[A-Za-z])")),
        Dialect("mustache", re.compile(_CURLY)),
        Dialect("go", re.compile(_CURLY)),
    )
}


# Outlook's conditional comments: the markers stay, the HTML between them is HTML.
_CONDITIONAL = re.compile(r"(\[if [^\]]*\]>|<!\[endif\]|<!$)")


def _in_comment(comment: str, change: Callable[[str], str]) -> str:
    """A comment's content is still text to a template engine (and HTML to Outlook)."""
    pieces = _CONDITIONAL.split(comment[4:-3])
    inner = [p if i % 2 else _in_text_and_attributes(p, change) for i, p in enumerate(pieces)]
    return "<!--" + "".join(inner) + "-->"


def _in_text_and_attributes(document: str, change: Callable[[str], str]) -> str:
    """Apply `change` to an HTML document's text and attribute values, also inside comments
    (template engines read them), never to tag names, conditional-comment markers, style
    sheets or scripts."""
    out = []
    for index, part in enumerate(_MARKUP.split(document)):
        if index % 3 == 2 or not part:
            continue  # the (style|script) group of the split
        if index % 3 == 0:
            out.append(change(part))
        elif part.startswith("<!--"):
            out.append(_in_comment(part, change))
        elif part.startswith("<!") or part[:6].lower() in ("<style", "<scrip"):
            out.append(part)
        else:
            out.append(_ATTRIBUTE.sub(lambda m: m.group(1) + change(m.group(2)), part))
    return "".join(out)


@dataclass(frozen=True)
class Platform:
    """One email platform's merge-tag syntax. None: the platform has no such tag."""

    name: str
    title: str
    tags: Mapping[str, str | None]
    text_tags: Mapping[str, str | None] = field(default_factory=dict)  # when text differs
    elements: Mapping[str, str] = field(default_factory=dict)  # HTML links become <element>
    markers: tuple[str, ...] = ()  # syntax only this platform writes
    notes: tuple[str, ...] = ()
    dialect: str | None = None  # the template language that runs on the content (DIALECTS)

    def text_tag(self, name: str) -> str | None:
        return self.text_tags.get(name, self.tags.get(name))

    def escape_html(self, document: str) -> str:
        return DIALECTS[self.dialect].escape_html(document) if self.dialect else document

    def escape_text(self, text: str) -> str:
        return DIALECTS[self.dialect].escape_text(text) if self.dialect else text

    def greeting(self, fallback: str) -> Platform:
        """This platform with `{fallback}` in its tags and notes filled in: the clinic's
        `send.fallback_first_name` (finish.greeting_name), which the schema keeps to plain
        words so it cannot end a tag."""

        def fill(text: str) -> str:
            return text.replace("{fallback}", fallback)

        return replace(
            self,
            tags={n: fill(t) if t else t for n, t in self.tags.items()},
            text_tags={n: fill(t) if t else t for n, t in self.text_tags.items()},
            notes=tuple(fill(n) for n in self.notes),
        )


PLATFORMS: dict[str, Platform] = {
    p.name: p
    for p in (
        Platform(
            "mailchimp",
            "Mailchimp",
            {
                UNSUB: "*|UNSUB|*",
                WEB: "*|ARCHIVE|*",
                PREFS: "*|UPDATE_PROFILE|*",
                FIRST: "*|IF:FNAME|**|FNAME|**|ELSE:|*{fallback}*|END:IF|*",
            },
            markers=("*|",),
            notes=(
                "The first name uses Mailchimp's conditional *|IF:FNAME|*: readers without "
                "a first name read '{fallback}'.",
            ),
            dialect="mailchimp",
        ),
        Platform(
            "sendgrid",
            "SendGrid (Marketing Campaigns)",
            {
                UNSUB: "{{{unsubscribe}}}",
                WEB: "{{{weblink}}}",
                PREFS: "{{{unsubscribe_preferences}}}",
                FIRST: '{{insert first_name "default={fallback}"}}',
            },
            markers=("{{{unsubscribe", "{{{weblink}}}", "{{insert "),
            dialect="sendgrid",
        ),
        Platform(
            "mailgun",
            "Mailgun",
            {UNSUB: "%unsubscribe_url%", WEB: None, PREFS: None, FIRST: "%recipient.first_name%"},
            markers=("%unsubscribe_url%", "%recipient."),
            notes=(
                "Mailgun has no fallback for recipient variables: give every recipient a "
                "first_name in recipient-variables.",
            ),
            dialect="mailgun",
        ),
        Platform(
            "brevo",
            "Brevo",
            {
                UNSUB: "{{ unsubscribe }}",
                WEB: "{{ mirror }}",
                PREFS: "{{ update_profile }}",
                FIRST: '{{ contact.FIRSTNAME | default : "{fallback}" }}',
            },
            markers=("{{ unsubscribe }}", "{{ mirror }}", "{{ update_profile }}", "{{ contact."),
            dialect="django",
        ),
        Platform(
            "klaviyo",
            "Klaviyo",
            {
                UNSUB: "{% unsubscribe_link %}",
                WEB: "{% web_view_link %}",
                PREFS: "{% manage_preferences_link %}",
                FIRST: "{{ first_name|default:'{fallback}' }}",
            },
            markers=("{%", "|default:'"),
            dialect="django",
        ),
        Platform(
            "campaign-monitor",
            "Campaign Monitor",
            {
                UNSUB: "<unsubscribe>",
                WEB: "<webversion>",
                PREFS: "<preferences>",
                FIRST: "[firstname,fallback={fallback}]",
            },
            text_tags={UNSUB: "[unsubscribe]", WEB: "[webversion]", PREFS: "[preferences]"},
            elements={UNSUB: "unsubscribe", WEB: "webversion", PREFS: "preferences"},
            markers=(
                "<unsubscribe",
                "<webversion",
                "<preferences",
                "[unsubscribe]",
                "[webversion]",
                "[preferences]",
                "[firstname",
            ),
            notes=(
                "Campaign Monitor's links are elements: <unsubscribe>text</unsubscribe> and "
                "<webversion>text</webversion>, written in place of the links.",
            ),
            dialect="campaign-monitor",
        ),
        Platform(
            "ses",
            "Amazon SES",
            {
                UNSUB: "{{amazonSESUnsubscribeUrl}}",
                WEB: None,
                PREFS: None,
                FIRST: "{{#if first_name}}{{first_name}}{{else}}{fallback}{{/if}}",
            },
            markers=("amazonSES", "{{#if first_name}}"),
            notes=(
                "SES fills {{amazonSESUnsubscribeUrl}} only when you send with "
                "ListManagementOptions (a contact list); pass first_name in the template data.",
            ),
            dialect="handlebars",
        ),
        Platform(
            "postmark",
            "Postmark (Broadcast stream)",
            {
                UNSUB: "{{{ pm:unsubscribe }}}",
                WEB: None,
                PREFS: None,
                FIRST: "{{#first_name}}{{first_name}}{{/first_name}}"
                "{{^first_name}}{fallback}{{/first_name}}",
            },
            markers=("pm:unsubscribe", "{{^first_name}}"),
            notes=("Send it as a Postmark template; pass first_name in the template model.",),
            dialect="mustache",
        ),
        Platform(
            "listmonk",
            "listmonk",
            {
                UNSUB: "{{ UnsubscribeURL }}",
                WEB: "{{ MessageURL }}",
                PREFS: "{{ UnsubscribeURL }}?manage=true",
                FIRST: '{{ or .Subscriber.FirstName "{fallback}" }}',
            },
            markers=("UnsubscribeURL", "MessageURL", ".Subscriber."),
            dialect="go",
        ),
        Platform(
            "html",
            "Plain HTML (your own links)",
            {UNSUB: None, WEB: None, PREFS: None, FIRST: None},
            notes=(
                "No merge tags: the links are your own pages from clinic.yaml and readers are "
                "greeted as '{fallback}'. Replace them with your platform's tags if it has them.",
            ),
        ),
    )
}
EML = "eml"
NAMES = (*PLATFORMS, EML)


@dataclass(frozen=True)
class Baa:
    """Whether a platform signs a HIPAA Business Associate Agreement, and how we know.

    A platform that receives a list saying who has which condition is a business associate
    (45 CFR 160.103) and needs a BAA (164.502(e)). Vendors change their terms: `checked` is
    the date the source was read; check again before relying on it.
    """

    signs: Literal["yes", "no", "ask", "self-hosted", "not applicable"]
    summary: str
    source: str
    checked: str = "2026-12-01"

    def note(self, title: str) -> str:
        return f"BAA: {title} {self.summary} (source: {self.source}, checked {self.checked})."


BAA: dict[str, Baa] = {
    "mailchimp": Baa(
        "no",
        "does not sign Business Associate Agreements; its terms forbid health information",
        "Mailchimp Standard Terms and Acceptable Use Policy, as quoted by hipaajournal.com "
        "'Is Mailchimp HIPAA compliant'",
    ),
    "sendgrid": Baa(
        "ask",
        "belongs to Twilio, which signs a BAA only for its listed HIPAA Eligible Services on "
        "Security or Enterprise Editions; ask Twilio whether SendGrid is on that list",
        "twilio.com/docs/iam/twilio-editions/hippa",
    ),
    "mailgun": Baa(
        "ask",
        "is not HIPAA-ready by default and says not to send health information without a "
        "signed BAA; ask Mailgun whether your plan includes one",
        "mailgun.com/resources/learn/glossary/hipaa",
    ),
    "brevo": Baa(
        "ask",
        "publishes no BAA that we could find; ask Brevo before uploading health data",
        "no vendor statement found",
    ),
    "klaviyo": Baa(
        "ask",
        "forbids health information in lists unless it has agreed to a BAA with you (Terms of "
        "Service, section 5.8)",
        "Klaviyo Terms of Service 5.8, as quoted by paubox.com 'Is Klaviyo HIPAA compliant'",
    ),
    "campaign-monitor": Baa(
        "ask",
        "publishes no BAA that we could find; ask Campaign Monitor before uploading health data",
        "no vendor statement found",
    ),
    "ses": Baa(
        "yes",
        "is covered by the AWS Business Associate Addendum (a HIPAA eligible service) once "
        "your AWS account has accepted it in AWS Artifact",
        "aws.amazon.com/compliance/hipaa-eligible-services-reference/",
    ),
    "postmark": Baa(
        "ask",
        "publishes no BAA that we could find; ask Postmark before uploading health data",
        "no vendor statement found",
    ),
    "listmonk": Baa(
        "self-hosted",
        "runs on your own server: the BAA you need is with whoever hosts that server",
        "listmonk is self-hosted software",
    ),
    "html": Baa(
        "not applicable",
        "files go wherever you send them: that service needs a BAA if it gets health data",
        "not a service",
    ),
    EML: Baa(
        "not applicable",
        "file is a proof copy: whatever sends it needs a BAA if it gets health data",
        "not a service",
    ),
}

# Signs that a tag was mangled on the way: URL-encoded template syntax, escaped brackets.
_ENCODED = re.compile(
    r"%7B%7B|%7D%7D|%7B%25|%25%7D|%2A%7C|%7C%2A|\{\{%20|%20\}\}|&lt;%|%&gt;"
    r"|&lt;/?(?:unsubscribe|webversion|preferences)\b|&amp;(?:amp|lt|gt|quot);",
    re.I,
)


@dataclass(frozen=True)
class Export:
    """One issue ready for one platform, in memory until written."""

    issue_id: str
    platform: str
    title: str
    files: dict[str, bytes]  # path inside export/<platform>/ -> content
    notes: tuple[str, ...]
    folder: Path  # where it is written: <out>/<issue>/export/<platform>/ (paths.py)
    next_steps: tuple[str, ...] = ()  # printed after the export; README.txt holds the same


def platform_names(choice: str) -> list[str]:
    return list(NAMES) if choice == "all" else [choice]


def export(
    root: Path, issue_names: Sequence[str], platforms: Sequence[str], out: Path | None = None
) -> tuple[list[Export], list[Problem]]:
    """Build the issues and prepare every platform's files; warnings are returned.

    `out` is the output folder (`--out`; default dist/): each Export's `folder` is under it.

    Raises NewsletterError when the project has mistakes or a check fails.
    """
    from .pipeline import Policy, build_and_check

    # What `newsletter lint` rejects never leaves: check errors and placeholders stop a
    # platform export; the .eml proof alone goes out, marked as a draft.
    checked = build_and_check(root, issue_names, policy=Policy.REPORT, out=out)
    project = checked.project
    built = _cleared(checked, platforms)
    exports = [export_issue(project, item, name) for item in built for name in platforms]
    return exports, checked.problems.warnings + _list_warnings(project, platforms)


def _list_warnings(project: Project, platforms: Sequence[str]) -> list[Problem]:
    """The subscriber list named in clinic.yaml carries health columns and goes where no BAA
    covers it (45 CFR 164.502(e))."""
    from .compliance import list_without_baa

    compliance = project.clinic.compliance
    if not compliance.subscriber_list:
        return []
    from .confine import MAX_LIST_BYTES, Refused, content_file

    try:  # inside content/, a regular file: never a FIFO that hangs the export
        path = content_file(project.paths.content, compliance.subscriber_list, MAX_LIST_BYTES)
    except Refused:
        return []
    where = project.paths.clinic_file
    line = compliance.lines.get("subscriber_list", project.clinic.lines.get("compliance"))
    found = []
    for name in platforms:
        baa = BAA[name]
        if baa.signs == "not applicable":
            continue
        title = PLATFORMS[name].title if name in PLATFORMS else name
        warning = list_without_baa(project.clinic, path, name, title, baa.signs != "no")
        if warning:
            found.append(Problem(where, line, warning, "warning"))
    return found


def _cleared(checked: Checked, platforms: Sequence[str]) -> list[BuiltIssue]:
    """The issues to export; NewsletterError for a platform export with open problems."""
    from .draft import mark_draft, open_problems, refuse

    cleared = []
    for item, findings in zip(checked.issues, checked.findings, strict=True):
        problems = open_problems(checked.project, item, findings)
        if problems and list(platforms) != [EML]:
            raise refuse(item, problems, f"export for {', '.join(platforms)}")
        cleared.append(mark_draft(checked.project, item, problems) if problems else item)
    return cleared


def export_issue(project: Project, built: BuiltIssue, platform_name: str) -> Export:
    """One platform's package for one issue, checked: the files its importer takes."""
    from . import packaging as pk
    from .confine import url_path

    if platform_name == EML:
        return _export_eml(project, built)
    platform = PLATFORMS[platform_name]
    package = pk.PACKAGING[platform.name]
    html_doc, text_doc, values, notes = render_for(project, built, platform)
    notes.append(BAA[platform.name].note(platform.title))
    issue_id = built.issue.id
    base_url = project.clinic.images_base_url
    images = {ref: _image_bytes(source) for source, ref in built.images}
    zip_name = f"{issue_id}-{platform.name}.zip"
    images_zip = f"{issue_id}-{platform.name}-images.zip"
    files = {"email.html": html_doc.encode("utf-8"), "email.txt": text_doc.encode("utf-8")}
    zipped: dict[str, bytes] = {}
    publish = "to-publish"
    if package.kind == pk.FLAT_ZIP:
        flat = pk.flat_names(list(images))
        zipped = {"email.html": pk.point_images(html_doc, base_url, flat).encode("utf-8")}
        zipped |= {flat[ref]: data for ref, data in images.items()}
        notes += [
            f"{ref}: Mailchimp hosts JPG, PNG and GIF images only; save it in one of those "
            "formats, or publish it and link it by its full address"
            for ref in sorted(images)
            if not ref.lower().endswith(pk.MAILCHIMP_IMAGE_TYPES)
        ]
        where = pk.Images(len(images), zip_name, None, base_url, None)
    elif package.kind == pk.IMAGES_ZIP:
        paths = pk.safe_paths(list(images))
        relative = {ref: url_path(paths[ref]) for ref in images}
        files["email.html"] = pk.point_images(html_doc, base_url, relative).encode("utf-8")
        if images:
            files[images_zip] = deterministic_zip({paths[r]: d for r, d in images.items()})
        where = pk.Images(len(images), images_zip, None, base_url, None)
    else:
        files |= {f"{publish}/{ref}": data for ref, data in images.items()}
        example = base_url.rstrip("/") + "/" + url_path(min(images)) if images else None
        where = pk.Images(len(images), None, publish, base_url, example)
    steps = pk.next_steps(
        platform.title,
        issue_id,
        platform.escape_text(built.issue.meta.subject),  # pasted where the engine runs too
        platform.escape_text(built.issue.meta.preheader),
        where,
        package.steps,
        {"zip": zip_name, "images_zip": images_zip},
    )
    files["README.txt"] = ("\n".join(steps) + "\n").encode("utf-8")
    if package.kind == pk.PUBLISHED:  # a bundle to keep or pass on: the importer ignores extras
        zipped = {n: files[n] for n in ("email.html", "email.txt", "README.txt")}
    if zipped:
        files[zip_name] = deterministic_zip(zipped)
    meta = _meta(project, built, platform.name, platform.title, values, notes)
    meta["subject"] = platform.escape_text(meta["subject"])
    meta["preheader"] = platform.escape_text(meta["preheader"])
    meta["package"] = package.kind
    meta["images"] = sorted(images)
    meta["files"] = sorted([*files, "meta.json"])
    meta["zip_files"] = sorted(zipped)
    files["meta.json"] = _json(meta)
    folder = project.paths.export_dir(issue_id, platform.name)
    return Export(
        issue_id, platform.name, platform.title, files, tuple(notes), folder, tuple(steps)
    )


def _image_bytes(source: Path) -> bytes:
    """An image for the zip: read as a checked regular file within the size limit."""
    from .confine import MAX_IMAGE_BYTES, Refused, read_bytes

    try:
        return read_bytes(source, MAX_IMAGE_BYTES)
    except Refused as exc:
        problem = Problem(source, None, f"cannot be exported: it {exc.reason}")
        raise NewsletterError([problem]) from None


def render_for(
    project: Project, built: BuiltIssue, platform: Platform
) -> tuple[str, str, dict[str, str], list[str]]:
    """HTML, text, the value used for each merge tag, and notes for the user.

    Links already carry their UTM parameters (finish.py, for every destination alike).
    """
    from .finish import clinic_values, greeting_name

    platform = platform.greeting(greeting_name(project.clinic))
    # Content made inert for the platform's template engine before its own tags go in.
    html_doc = platform.escape_html(built.html_template)
    text_doc = platform.escape_text(built.text_template)
    _require_unsubscribe(project, built)
    own = clinic_values(project, built.issue)
    notes = list(platform.notes)
    used = merge.used(built.html_template + built.text_template)
    values: dict[str, str] = {}
    for name in merge.TAGS:
        tag = platform.tags.get(name)
        if tag is None:
            values[name] = own[name]
            if name in used and platform.name != "html":
                notes.append(_missing_note(platform, name, own[name]))
        else:
            values[name] = tag

    html_out = _substitute_html(project, html_doc, platform, own)
    text_values = {n: (platform.text_tag(n) or own[n]) for n in merge.TAGS}
    text_out = merge.substitute(text_doc, text_values, escape=False)
    verify(platform, built, html_out, text_out, before=(html_doc, text_doc))
    return html_out, text_out, values, notes


def _missing_note(platform: Platform, name: str, own_value: str) -> str:
    what = {
        WEB: "web-version ('view in browser')",
        PREFS: "preferences",
        UNSUB: "unsubscribe",
        FIRST: "first-name",
    }[name]
    if name == WEB:
        return (
            f"{platform.title} has no {what} tag: the link goes to your own page {own_value}; "
            "publish it with `newsletter archive`."
        )
    if name == FIRST:
        return f"{platform.title} has no {what} tag: readers are greeted as '{own_value}'."
    return f"{platform.title} has no {what} tag: the link goes to your own page {own_value}."


def _substitute_html(project: Project, doc: str, platform: Platform, own: dict[str, str]) -> str:
    for name, element in platform.elements.items():
        placeholder = merge.placeholder(name)

        def as_element(attributes: str, inner: str, element: str = element) -> str:
            return f"<{element}{attributes}>{inner}</{element}>"

        doc, _ = rewrite_links(doc, placeholder, as_element)
        if placeholder in doc:
            raise NewsletterError(
                [
                    Problem(
                        project.templates_dir,
                        None,
                        f"{platform.title} writes its {name.replace('_', ' ')} link as an "
                        f"<{element}> element, so templates may use "
                        f"{{{{ merge.{name} }}}} only as a link's href",
                    )
                ]
            )
    for name in merge.TAGS:
        tag = platform.tags.get(name)
        placeholder = merge.placeholder(name)
        if tag is not None and '"' in tag and re.search(r'="[^"<>]*' + placeholder, doc):
            raise NewsletterError(
                [
                    Problem(
                        project.templates_dir,
                        None,
                        f"{{{{ merge.{name} }}}} is used inside an HTML attribute; "
                        f"{platform.title}'s tag cannot go there: use it in text only",
                    )
                ]
            )
    tags = {n: t for n, t in platform.tags.items() if t is not None and n not in platform.elements}
    for name, tag in tags.items():
        doc = doc.replace(merge.placeholder(name), tag)
    fallback = {n: html.escape(own[n], quote=True) for n in merge.TAGS}
    return merge.substitute(doc, fallback, escape=False)


def _require_unsubscribe(project: Project, built: BuiltIssue) -> None:
    placeholder = merge.placeholder(UNSUB)
    missing = [
        Problem(
            project.paths.layout(built.issue.meta.layout, suffix),
            None,
            f"the {part} email has no unsubscribe link; every marketing email needs one: add "
            "{{ merge.unsubscribe_url }} to the footer this layout includes",
        )
        for part, suffix, doc in (
            ("HTML", ".mjml.j2", built.html_template),
            ("plain-text", ".txt.j2", built.text_template),
        )
        if placeholder not in doc
    ]
    if missing:
        raise NewsletterError(missing)


# ---------------------------------------------------------------- checks


class ExportCheckFailed(NewsletterError):
    """The export does not hold what the platform needs: a bug in this program."""


def verify(
    platform: Platform,
    built: BuiltIssue,
    html_doc: str,
    text_doc: str,
    before: tuple[str, str] | None = None,
) -> None:
    """Raise ExportCheckFailed listing every way the export differs from the platform's tags.

    `before` is the HTML and text just before the tags went in (content already made inert):
    syntax that content itself quotes (another platform's tags, an encoded URL) is there too,
    so only what the export added counts against it."""
    faults: list[str] = []
    html_before, text_before = before or (built.html_template, built.text_template)
    for part, template, doc, previous, is_html in (
        ("email.html", built.html_template, html_doc, html_before, True),
        ("email.txt", built.text_template, text_doc, text_before, False),
    ):
        if merge.PREFIX in doc:
            faults.append(f"{part}: a merge placeholder was left in")
        for name in merge.TAGS:
            count = template.count(merge.placeholder(name))
            if not count:
                continue
            for expected in _expected(platform, name, is_html):
                if doc.count(expected) < count:
                    faults.append(f"{part}: expected {expected!r} {count} time(s)")
                for mangled in {
                    quote(expected, safe=""),
                    quote(expected, safe="/:?=&"),
                    html.escape(expected, quote=True),
                } - {expected}:
                    if doc.count(mangled) > previous.count(mangled):
                        faults.append(f"{part}: {expected!r} appears encoded as {mangled!r}")
        own = _own_syntax(platform)
        for other in PLATFORMS.values():
            if other.name == platform.name:
                continue
            for marker in other.markers:
                if doc.count(marker) > previous.count(marker) and not any(marker in t for t in own):
                    faults.append(f"{part}: {other.title} syntax {marker!r} found")
        encoded = [m.group(0) for m in _ENCODED.finditer(doc)]
        if len(encoded) > len(_ENCODED.findall(previous)):
            faults.append(f"{part}: encoded template syntax {encoded[0]!r} found")
        if platform.dialect:
            live = DIALECTS[platform.dialect].live(doc, own, is_html)
            if live:
                faults.append(f"{part}: template syntax {live[0]!r} would run at the platform")
    if faults:
        raise ExportCheckFailed(
            [
                Problem(
                    None,
                    None,
                    f"export for {platform.title} ({built.issue.id}) failed its check: {fault}. "
                    "This is a bug in newsletters; please report it with your templates.",
                )
                for fault in dict.fromkeys(faults)
            ]
        )


def _expected(platform: Platform, name: str, is_html: bool) -> list[str]:
    if is_html and name in platform.elements:
        element = platform.elements[name]
        return [f"<{element}", f"</{element}>"]
    tag = platform.tags.get(name) if is_html else platform.text_tag(name)
    return [tag] if tag else []


def _own_syntax(platform: Platform) -> list[str]:
    own = [t for t in (*platform.tags.values(), *platform.text_tags.values()) if t]
    own += [f"<{e}" for e in platform.elements.values()]
    return own


# ---------------------------------------------------------------- eml


def _export_eml(project: Project, built: BuiltIssue) -> Export:
    from .draft import SUBJECT_PREFIX as DRAFT_PREFIX
    from .mime import build_message, stable_message_id

    clinic = project.clinic
    issue = built.issue
    html_doc, text_doc, values, notes = render_for(project, built, PLATFORMS["html"])
    domain = clinic.sender.email.rsplit("@", 1)[1]
    date = dt.datetime.combine(issue.meta.date, dt.time(0, 0), tzinfo=dt.UTC)
    message = build_message(
        html=html_doc,
        text=text_doc,
        subject=issue.meta.subject,
        from_name=clinic.sender.name,
        from_address=clinic.sender.email,
        to=clinic.sender.email,
        date=date,
        message_id=stable_message_id(f"{issue.id}\n{html_doc}\n{text_doc}", domain),
        list_unsubscribe_url=clinic.unsubscribe_url,
        list_unsubscribe_mailto=clinic.export.unsubscribe_email,
        reply_to=clinic.reply_to,
    )
    eml_name = f"{issue.id}.eml"
    notes = [
        "A proof copy for any mail client: links are your own pages, addressed to the sender; "
        f"Date is the issue's date ({issue.meta.date.isoformat()}, 00:00 UTC).",
        BAA[EML].note("An .eml"),
    ]
    if issue.meta.subject.startswith(DRAFT_PREFIX):
        notes.append(
            "A DRAFT: the issue still has open problems (listed at the top of the email); "
            "fix them before a platform export or a list send."
        )
    meta = _meta(project, built, EML, "Email file (.eml)", values, notes)
    meta["files"] = [eml_name]
    files = {eml_name: message.as_bytes(), "meta.json": _json(meta)}
    folder = project.paths.export_dir(issue.id, EML)
    return Export(issue.id, EML, "an email file (.eml)", files, tuple(notes), folder)


# ---------------------------------------------------------------- files


def _meta(
    project: Project,
    built: BuiltIssue,
    platform: str,
    title: str,
    values: dict[str, str],
    notes: list[str],
) -> dict[str, Any]:
    clinic = project.clinic
    m = built.issue.meta
    used = merge.used(built.html_template + built.text_template)
    return {
        "issue": built.issue.id,
        "platform": platform,
        "platform_title": title,
        "subject": m.subject,
        "preheader": m.preheader,
        "date": m.date.isoformat(),
        "from_name": clinic.sender.name,
        "from_email": clinic.sender.email,
        "reply_to": clinic.reply_to or clinic.sender.email,
        "tags": {name: values[name] for name in used},
        "notes": notes,
        "baa": {
            "signs": BAA[platform].signs,
            "summary": BAA[platform].summary,
            "source": BAA[platform].source,
            "checked": BAA[platform].checked,
        },
    }


def _json(data: Any) -> bytes:
    from .write import dumps_json

    return dumps_json(data).encode("utf-8")


def deterministic_zip(files: Mapping[str, bytes]) -> bytes:
    """A zip whose bytes depend only on the files: sorted names, fixed times and modes."""
    from .confine import safe_relative

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            # names come from checked references; a '../' entry would be a zip slip
            info = zipfile.ZipInfo(safe_relative(name), date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            archive.writestr(info, files[name])
    return buffer.getvalue()


def write_exports(exports: Sequence[Export]) -> list[Path]:
    """Write each export to its folder (<out>/<issue>/export/<platform>/); returns them.

    Each folder is replaced as a whole, so files of an earlier package (an image no longer
    used) never linger, and a failed write leaves the old one.
    """
    from .write import replace_folder

    for item in exports:
        replace_folder(item.folder, dict(item.files), base=item.folder.parents[2])
    return [item.folder for item in exports]
