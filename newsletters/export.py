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
from collections.abc import Mapping, Sequence
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
class Platform:
    """One email platform's merge-tag syntax. None: the platform has no such tag."""

    name: str
    title: str
    tags: Mapping[str, str | None]
    text_tags: Mapping[str, str | None] = field(default_factory=dict)  # when text differs
    elements: Mapping[str, str] = field(default_factory=dict)  # HTML links become <element>
    markers: tuple[str, ...] = ()  # syntax only this platform writes
    notes: tuple[str, ...] = ()

    def text_tag(self, name: str) -> str | None:
        return self.text_tags.get(name, self.tags.get(name))

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
    files: dict[str, bytes]  # name inside export/<platform>/ -> content
    notes: tuple[str, ...]
    folder: Path  # where it is written: <out>/<issue>/export/<platform>/ (paths.py)


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
    path = project.paths.in_content(compliance.subscriber_list)
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
    """One platform's files for one issue, checked."""
    if platform_name == EML:
        return _export_eml(project, built)
    platform = PLATFORMS[platform_name]
    html_doc, text_doc, values, notes = render_for(project, built, platform)
    notes.append(BAA[platform.name].note(platform.title))
    meta = _meta(project, built, platform.name, platform.title, values, notes)
    files = {"email.html": html_doc.encode("utf-8"), "email.txt": text_doc.encode("utf-8")}
    for source, ref in built.images:
        files[ref] = source.read_bytes()
    meta["files"] = sorted(files)
    files["meta.json"] = _json(meta)
    zip_name = f"{built.issue.id}-{platform.name}.zip"
    files[zip_name] = deterministic_zip(files)
    folder = project.paths.export_dir(built.issue.id, platform.name)
    return Export(built.issue.id, platform.name, platform.title, files, tuple(notes), folder)


def render_for(
    project: Project, built: BuiltIssue, platform: Platform
) -> tuple[str, str, dict[str, str], list[str]]:
    """HTML, text, the value used for each merge tag, and notes for the user.

    Links already carry their UTM parameters (finish.py, for every destination alike).
    """
    from .finish import clinic_values, greeting_name

    platform = platform.greeting(greeting_name(project.clinic))
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

    html_out = _substitute_html(project, built.html_template, platform, own)
    text_values = {n: (platform.text_tag(n) or own[n]) for n in merge.TAGS}
    text_out = merge.substitute(built.text_template, text_values, escape=False)
    verify(platform, built, html_out, text_out)
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


def verify(platform: Platform, built: BuiltIssue, html_doc: str, text_doc: str) -> None:
    """Raise ExportCheckFailed listing every way the export differs from the platform's tags."""
    faults: list[str] = []
    for part, template, doc, is_html in (
        ("email.html", built.html_template, html_doc, True),
        ("email.txt", built.text_template, text_doc, False),
    ):
        if "__NL_MERGE_" in doc:
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
                    if mangled in doc:
                        faults.append(f"{part}: {expected!r} appears encoded as {mangled!r}")
        own = _own_syntax(platform)
        for other in PLATFORMS.values():
            if other.name == platform.name:
                continue
            for marker in other.markers:
                if marker in doc and not any(marker in t for t in own):
                    faults.append(f"{part}: {other.title} syntax {marker!r} found")
        encoded = _ENCODED.search(doc)
        if encoded:
            faults.append(f"{part}: encoded template syntax {encoded.group(0)!r} found")
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
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            archive.writestr(info, files[name])
    return buffer.getvalue()


def write_exports(exports: Sequence[Export]) -> list[Path]:
    """Write each export to its folder (<out>/<issue>/export/<platform>/); returns them."""
    from .write import write_atomic

    for item in exports:
        for name, data in item.files.items():
            if "/" not in name:  # images travel only inside the zip
                write_atomic(item.folder / name, data)
    return [item.folder for item in exports]
