"""What a clinic writes: the schemas of clinic.yaml, an article's front matter and an issue.

Each field's `doc` is the documentation users read (docs/reference/fields.md is generated
from these). Everything here is a frozen dataclass: stages read it and never change it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

from .paths import ProjectPaths
from .schema import (
    content_file,
    domain_name,
    email_address,
    font_stack,
    hex_colour,
    https_url,
    image_ref,
    language_tag,
    link_url,
    plain_words,
    security_mode,
    slug,
    spec,
    stylesheet_url,
    text_direction,
    url_value,
)


@dataclass(frozen=True)
class Link:
    """A labelled link: a button or a call to action."""

    label: str = spec("What the reader sees, e.g. 'Call us: (806) 555-0100'.")
    url: str = spec("Where it goes: an https:// address, tel: or mailto: link.", link_url)


@dataclass(frozen=True)
class Source:
    """One citation backing an article's facts."""

    title: str = spec("The source as a reader would cite it, e.g. 'Mayo Clinic: Chronic pain'.")
    url: str = spec("The https:// address of the source.", https_url)


@dataclass(frozen=True)
class Logo:
    """The clinic's logo at the top of every email."""

    src: str = spec(
        "An https:// address or a path inside content/, like images/logo.png.", image_ref
    )
    alt: str = spec("Text read aloud and shown when images are off: usually the clinic's name.")
    width: int = spec("Display width in pixels (the file should be twice as wide).", default=180)
    dark_src: str | None = spec(
        "A version for dark backgrounds (light text); optional. Without it the logo sits on a "
        "light backing in dark mode.",
        image_ref,
        default=None,
    )


@dataclass(frozen=True)
class Sender:
    """Who the email is from."""

    name: str = spec("The name in the reader's inbox, e.g. 'Ketamine Clinic of West Texas'.")
    email: str = spec("The From address; it must belong to a domain you send from.", email_address)


@dataclass(frozen=True)
class SocialLink:
    """A link to one of the clinic's social profiles."""

    name: str = spec("The network's name as readers know it, e.g. Facebook.")
    url: str = spec("The https:// address of the clinic's profile.", https_url)


@dataclass(frozen=True)
class Condition:
    """A condition the clinic treats; articles name one by its key."""

    key: str = spec("Short name used in articles' `condition`, e.g. migraine.", slug)
    name: str = spec("The name readers see, e.g. Migraine.")
    url: str | None = spec("Page about it on the clinic's website.", https_url, default=None)


@dataclass(frozen=True)
class Theme:
    """Colours, fonts and shapes of every email. Change these to re-brand; templates follow.

    The defaults pass WCAG AA contrast in light and dark mode; after changing a colour, build
    with --screenshots and check the text stays easy to read.
    """

    primary: str = spec(
        "Main brand colour: the top edge and buttons.", hex_colour, default="#1F5F8B"
    )
    accent: str = spec(
        "Second brand colour: the call-to-action band and the small labels above titles.",
        hex_colour,
        default="#2E7D6B",
    )
    accent_text: str = spec(
        "Text on the accent band (and the band's button colour).", hex_colour, default="#FFFFFF"
    )
    text: str = spec("Body text colour.", hex_colour, default="#1F2933")
    heading: str = spec("Headline colour.", hex_colour, default="#17324D")
    muted: str = spec("Secondary text: dates, sources, footer.", hex_colour, default="#4A5561")
    background: str = spec("Colour around the email.", hex_colour, default="#EEF2F5")
    surface: str = spec("Colour behind the content.", hex_colour, default="#FFFFFF")
    panel: str = spec(
        "Colour behind cards, checklists and callouts.", hex_colour, default="#F2F6F9"
    )
    border: str = spec("Lines between parts and around panels.", hex_colour, default="#D5DDE3")
    link: str = spec("Link colour.", hex_colour, default="#1F5F8B")
    button_text: str = spec("Text on buttons.", hex_colour, default="#FFFFFF")
    dark_text: str = spec("Body text and headlines in dark mode.", hex_colour, default="#E6EDF3")
    dark_muted: str = spec("Secondary text in dark mode.", hex_colour, default="#A8B3BF")
    dark_accent: str = spec(
        "Small labels above titles in dark mode.", hex_colour, default="#5FC4AC"
    )
    dark_background: str = spec(
        "Colour around the email in dark mode.", hex_colour, default="#0D1117"
    )
    dark_surface: str = spec(
        "Colour behind the content in dark mode.", hex_colour, default="#161B22"
    )
    dark_panel: str = spec(
        "Colour behind cards, checklists and callouts in dark mode.", hex_colour, default="#1E2631"
    )
    dark_border: str = spec("Lines and panel edges in dark mode.", hex_colour, default="#30363D")
    dark_link: str = spec("Link colour in dark mode.", hex_colour, default="#8CC8F0")
    font_family: str = spec(
        "Body font, always ending in a system fallback.",
        font_stack,
        default="'Helvetica Neue', Helvetica, Arial, sans-serif",
    )
    heading_font_family: str = spec(
        "Heading font, always ending in a system fallback.",
        font_stack,
        default="Georgia, 'Times New Roman', serif",
    )
    web_font_url: str | None = spec(
        "Optional https:// stylesheet of a web font (clients that cannot load it use the "
        "fallbacks).",
        stylesheet_url,
        default=None,
    )
    font_size: int = spec("Body text size in pixels (16 or more for readability).", default=17)
    button_radius: int = spec("Roundness of button corners in pixels.", default=6)
    corner_radius: int = spec(
        "Roundness of images, cards and callouts in pixels (0 for square).", default=8
    )
    spacing: int = spec("Space around content blocks in pixels.", default=24)


@dataclass(frozen=True)
class ExportSettings:
    """How `newsletter export` and `newsletter archive` prepare the issue for other places."""

    utm: bool = spec(
        "Add UTM parameters to links to your own website, so your analytics can tell which "
        "visits came from the newsletter: in the built email, every export, web versions and "
        "sent messages alike.",
        default=True,
    )
    utm_source: str = spec("The utm_source added to your links.", url_value, default="newsletter")
    utm_medium: str = spec("The utm_medium added to your links.", url_value, default="email")
    utm_campaign: str = spec(
        "The utm_campaign added to your links; `{issue}` becomes the issue's name, e.g. 2026-11.",
        url_value,
        default="{issue}",
    )
    utm_domains: tuple[str, ...] = spec(
        "More domains of yours whose links get UTM parameters, besides the one in `website`, "
        "e.g. book.example.com.",
        domain_name,
        default=(),
    )
    archive_base_url: str | None = spec(
        "Where the folder dist/archive/ is published, e.g. https://example.com/newsletter/. "
        "By default the start of `web_version_url` (the part before `{issue}`).",
        https_url,
        default=None,
    )
    subscribe_url: str | None = spec(
        "The page where new readers subscribe. Web versions link to it instead of an "
        "unsubscribe link. By default your `website`.",
        https_url,
        default=None,
    )
    subscribe_label: str = spec(
        "The text of that link in web versions.", default="Subscribe to this newsletter"
    )
    archive_title: str | None = spec(
        "The title of the archive page and feed; by default '<clinic name> newsletter'.",
        default=None,
    )
    unsubscribe_email: str | None = spec(
        "An address that unsubscribes whoever writes to it; added to the List-Unsubscribe "
        "header of the .eml export beside the unsubscribe page.",
        email_address,
        default=None,
    )


@dataclass(frozen=True)
class LintSettings:
    """The `lint:` section of clinic.yaml: tune the checks (see docs/guide/checks.md)."""

    disable: tuple[str, ...] = spec(
        "Rule ids to switch off for the whole project, e.g. [a11y/img-width].", default=()
    )
    absolute_words: tuple[str, ...] = spec(
        "More words or phrases that make a health claim absolute, added to the built-in list.",
        default=(),
    )
    condition_words: tuple[str, ...] = spec(
        "More condition words a subject must not pin on the reader ('Your ...'), added to the "
        "built-in list and the clinic's conditions.",
        default=(),
    )
    generic_link_texts: tuple[str, ...] = spec(
        "More link texts that say nothing about the target, added to 'click here', 'read more'...",
        default=(),
    )
    subject_max: int = spec("Longest subject allowed, in characters.", default=60)
    subject_warn: int = spec("Subjects longer than this get a warning.", default=50)
    preheader_min: int = spec("Shortest preheader, in characters.", default=40)
    preheader_max: int = spec("Longest preheader, in characters.", default=130)
    html_max_kb: int = spec("HTML size (KB) from which Gmail clips: an error.", default=102)
    html_warn_kb: int = spec("HTML size (KB) that gets a warning.", default=90)
    style_max_kb: int = spec("Largest total of <style> blocks (KB) Gmail keeps.", default=16)
    review_max_months: int = spec(
        "An article's medical review (`reviewed_on`) may be at most this old at the issue's date.",
        default=12,
    )
    reading_grade_max: float = spec(
        "Highest Flesch-Kincaid grade for an article's text before a warning.", default=12.0
    )
    image_max_kb: int = spec("Largest local image file, in KB.", default=1024)
    line: int = dataclasses.field(default=0, init=False, compare=False, repr=False)
    lines: dict[str, int] = dataclasses.field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def html_size(self, size: int) -> str:
        """'over' (Gmail clips it: an error), 'near' (a warning) or 'ok', for an email's HTML
        of `size` bytes: the one place the size thresholds are applied (lint, preview)."""
        if size >= self.html_max_kb * 1024:
            return "over"
        return "near" if size >= self.html_warn_kb * 1024 else "ok"


@dataclass(frozen=True)
class SendSettings:
    """How `newsletter send` delivers: pace, unsubscribe links, list headers, test sends."""

    rate: float = spec(
        "Messages per second for list sends (your provider's limit); `--rate` overrides it.",
        default=10.0,
    )
    unsubscribe_url_template: str | None = spec(
        "Each reader's own unsubscribe link; `{token}` becomes their private token, e.g. "
        "https://example.com/unsubscribe?token={token}. By default `unsubscribe_url` with "
        "?token={token} added. The page must also accept a POST (one-click unsubscribe).",
        https_url,
        default=None,
    )
    unsubscribe_mailto: str | None = spec(
        "An address that unsubscribes whoever writes to it, offered as a second way out "
        "in the List-Unsubscribe header.",
        email_address,
        default=None,
    )
    list_id: str | None = spec(
        "The list's identifier for mail programs, like newsletter.example.com; by default "
        "newsletter. and the sender's domain.",
        domain_name,
        default=None,
    )
    suppression_file: str = spec(
        "Addresses never to send to (unsubscribed, bounced), one per line or a CSV with an "
        "email column; a path inside content/.",
        default="suppressed.txt",
    )
    fallback_first_name: str = spec(
        "Used where a reader's first name is unknown, as in 'Hello there': in the built email, "
        "web versions, every platform's first-name tag and every sent message. Letters, "
        "digits, spaces, dots and hyphens.",
        plain_words,
        default="there",
    )
    sample_first_name: str = spec("The first name shown in test sends.", default="Sam")
    smtp_host: str | None = spec(
        "Your provider's SMTP server, e.g. smtp.sendgrid.net (written by `newsletter setup`; "
        "NEWSLETTER_SMTP_HOST overrides it).",
        default=None,
    )
    smtp_port: int | None = spec(
        "The SMTP port; by default 587 for starttls, 465 for tls.", default=None
    )
    smtp_security: str | None = spec(
        "starttls, tls, or none (none only for a server on this computer).",
        security_mode,
        default=None,
    )
    smtp_user: str | None = spec(
        "The SMTP login; its password is kept in the computer's keychain by `newsletter setup`.",
        default=None,
    )
    imap_host: str | None = spec(
        "The IMAP server of the `unsubscribe_mailto` mailbox, e.g. imap.gmail.com: "
        "`newsletter unsubscribes fetch` reads opt-out mails there.",
        default=None,
    )
    imap_port: int | None = spec("The IMAP port; by default 993 (tls) or 143.", default=None)
    imap_user: str | None = spec(
        "The mailbox login; by default `unsubscribe_mailto`. Its password is kept in the keychain.",
        default=None,
    )
    imap_security: str = spec(
        "tls, starttls, or none (none only for a server on this computer).",
        security_mode,
        default="tls",
    )
    one_click_url: str | None = spec(
        "The address where `newsletter unsubscribe-server` answers, e.g. "
        "https://optout.example.com/: each reader's unsubscribe link points there.",
        https_url,
        default=None,
    )
    website_handles_opt_outs: bool = spec(
        "true when your own website records opt-outs from `unsubscribe_url` and you copy them "
        "into the suppression file yourself.",
        default=False,
    )
    test_subject_prefix: str = spec(
        "Put before the subject of test sends so nobody mistakes them.", default="[TEST] "
    )
    dkim_domain: str | None = spec(
        "The domain that signs your emails with DKIM, usually the sender's domain; with "
        "`dkim_selector` and a private key (NEWSLETTER_DKIM_PRIVATE_KEY or the keychain), "
        "every message sent is signed.",
        default=None,
    )
    dkim_selector: str | None = spec(
        "The DKIM selector: the key is published at <selector>._domainkey.<dkim_domain>.",
        default=None,
    )


@dataclass(frozen=True)
class Compliance:
    """The `compliance:` section of clinic.yaml: what the clinic has on file (see Compliance).

    The tool checks what is recorded here; it does not replace the clinic's legal review.
    """

    marketing_authorization_on: dt.date | None = spec(
        "The date from which every reader on your list has given written authorization to "
        "receive marketing (HIPAA 45 CFR 164.508(a)(3)); needed to send sponsored issues.",
        default=None,
    )
    marketing_authorization_record: str | None = spec(
        "Where those authorizations are kept, e.g. 'signup forms, front desk binder'.",
        default=None,
    )
    subscriber_list: str | None = spec(
        "The subscriber CSV you upload to your email platform, a path inside content/; "
        "`export` warns when it carries diagnosis or condition columns and the platform "
        "has no Business Associate Agreement.",
        content_file,
        default=None,
    )
    baa: tuple[str, ...] = spec(
        "Email paths with which the clinic has signed a Business Associate Agreement: "
        "platform names (e.g. ses) or smtp for your SMTP provider.",
        default=(),
    )
    line: int = dataclasses.field(default=0, init=False, compare=False, repr=False)
    lines: dict[str, int] = dataclasses.field(
        default_factory=dict, init=False, compare=False, repr=False
    )


@dataclass(frozen=True)
class Clinic:
    """content/clinic.yaml: who sends the newsletter and how it looks."""

    name: str = spec("The clinic's name: the sender identity readers must recognise.")
    website: str = spec("The clinic's home page.", https_url)
    phone: str = spec("Phone number as readers should see it, e.g. (806) 555-0100.")
    address: str = spec(
        "Postal address (required by CAN-SPAM); one line, or several as a YAML block.",
        multiline=True,
    )
    sender: Sender = spec("From name and address.")
    images_base_url: str = spec(
        "Where files in content/images/ are published, e.g. https://example.com/newsletter/. "
        "Local images become absolute links under this address.",
        https_url,
    )
    disclaimer: str = spec(
        "The medical disclaimer printed in every footer (Markdown).", multiline=True
    )
    unsubscribe_url: str = spec(
        "The page where readers unsubscribe. Email platforms replace it with their own link "
        "on export.",
        https_url,
    )
    web_version_url: str = spec(
        "Where an issue can be read in a browser; `{issue}` becomes the issue's name, "
        "e.g. https://example.com/newsletter/{issue}/.",
        https_url,
    )
    tagline: str = spec("A short line under the name.", default="")
    email: str | None = spec(
        "A contact address readers can write to (CASL asks for one besides the postal address).",
        email_address,
        default=None,
    )
    phone_link: str | None = spec(
        "The tel: link behind the phone number; by default made from `phone`.",
        link_url,
        default=None,
    )
    reply_to: str | None = spec("Where replies go, if not the sender.", email_address, default=None)
    preferences_url: str | None = spec(
        "A page where readers choose what they receive.", https_url, default=None
    )
    logo: Logo | None = spec("The logo shown at the top.", default=None)
    theme: Theme = spec("Colours, fonts and shapes.", default_factory=Theme)
    cta: Link | None = spec(
        "The call to action used when an issue or article has none, e.g. Call us.", default=None
    )
    why_received: str = spec(
        "Why the reader gets this email, shown in the footer.",
        default="You are receiving this email because you subscribed to our newsletter.",
        multiline=True,
    )
    social: tuple[SocialLink, ...] = spec("Links to social profiles.", default=())
    conditions: tuple[Condition, ...] = spec(
        "Conditions the clinic treats. Articles must name one of these keys.", default=()
    )
    language: str = spec(
        "Language of the emails (BCP 47 code, e.g. en or es).", language_tag, default="en"
    )
    direction: str = spec(
        "Text direction: ltr or rtl (rtl mirrors the email: text, lists, tables, buttons and "
        "the logo start on the right).",
        text_direction,
        default="ltr",
    )
    export: ExportSettings = spec(
        "Settings of `newsletter export` and `newsletter archive`: UTM parameters, archive "
        "address, subscription page.",
        default_factory=ExportSettings,
    )
    lint: LintSettings = spec(
        "Settings of `newsletter lint`: rules to disable, thresholds, extra words.",
        default_factory=LintSettings,
    )
    send: SendSettings = spec(
        "How `newsletter send` delivers (see Sending).", default_factory=SendSettings
    )
    compliance: Compliance = spec(
        "What the clinic has on file for health-marketing rules: marketing authorization, "
        "Business Associate Agreements (see Compliance).",
        default_factory=Compliance,
    )
    line: int = dataclasses.field(default=0, init=False, compare=False, repr=False)
    lines: dict[str, int] = dataclasses.field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    @property
    def tel(self) -> str:
        if self.phone_link:
            return self.phone_link
        digits = "".join(c for c in self.phone if c.isdigit() or c == "+")
        return f"tel:{digits}"

    def condition(self, key: str) -> Condition | None:
        return next((c for c in self.conditions if c.key == key), None)


@dataclass(frozen=True)
class Testimonial:
    """A quotation from a patient or other person, printed in an article, and the written
    authorization that allows it (HIPAA 45 CFR 164.508(c); FTC 16 CFR 255 and 465)."""

    quote: str = spec(
        "The words quoted, exactly as in the article (or their first sentence).", multiline=True
    )
    name: str = spec("Who said it, as printed under the quotation, e.g. 'Maria G., patient'.")
    signed_on: dt.date | None = spec(
        "When the person signed the authorization to be quoted (YYYY-MM-DD).", default=None
    )
    expires_on: dt.date | None = spec(
        "When the authorization ends (YYYY-MM-DD); or write `expires_when`.", default=None
    )
    expires_when: str | None = spec(
        "The event that ends the authorization, as the form says, e.g. 'end of the 2027 "
        "campaign'; used when there is no `expires_on` date.",
        default=None,
    )
    revoked_on: dt.date | None = spec(
        "When the person took the authorization back (YYYY-MM-DD): the quotation may no "
        "longer be used.",
        default=None,
    )
    scope: Literal["newsletter", "web", "both"] | None = spec(
        "Where the form allows the quotation: newsletter, web, or both.", default=None
    )
    document: str | None = spec(
        "Where the signed form is kept, e.g. 'EHR, scanned forms, 2026-09-01'.", default=None
    )
    connection: str | None = spec(
        "What ties the person to the clinic, shown to readers beside the quotation: none, "
        "staff, paid, free treatment, or your own words (e.g. 'a relative of our nurse').",
        default=None,
    )
    consent_on: dt.date | None = spec(
        "Older name of `signed_on`: still read, with a warning naming the fields the "
        "authorization lacks.",
        default=None,
    )


@dataclass(frozen=True)
class LintAllow:
    """A visible, reasoned exception to one check in one file."""

    rule: str = spec("The rule id, e.g. health/absolute-claim.")
    reason: str = spec("Why the finding is wrong here; shown to reviewers.", multiline=True)
    text: str | None = spec(
        "Only findings whose sentence contains this text are allowed; without it, the whole file.",
        default=None,
    )


@dataclass(frozen=True)
class ArticleMeta:
    """The front matter of content/articles/<slug>.md."""

    title: str = spec("The article's headline.")
    condition: str = spec("The condition it is about: a key from clinic.yaml `conditions`.")
    summary: str = spec(
        "Two or three sentences: the teaser in digests and previews.", multiline=True
    )
    sources: tuple[Source, ...] = spec(
        "The citations behind the article's facts (title and url each).", default=()
    )
    reviewed_by: str | None = spec(
        "Who reviewed it medically, e.g. 'Dr. Ana Ruiz, MD'.", default=None
    )
    reviewed_on: dt.date | None = spec("When it was reviewed (YYYY-MM-DD).", default=None)
    image: str | None = spec(
        "An https:// address or a path inside content/, like images/migraine.jpg.",
        image_ref,
        default=None,
    )
    image_alt: str | None = spec(
        'What the image shows, for readers who cannot see it. Use "" for a decorative image.',
        default=None,
    )
    symptoms: tuple[str, ...] = spec("Symptoms, one per line, shown as a list.", default=())
    cta: Link | None = spec(
        "A call to action for this article; else the issue's or clinic's.", default=None
    )
    url: str | None = spec(
        "Where the full article lives on the website. Digests then show the summary and a link.",
        https_url,
        default=None,
    )
    tags: tuple[str, ...] = spec("Free keywords for your own sorting.", default=())
    author: str | None = spec("Who wrote it.", default=None)
    testimonials: tuple[Testimonial, ...] = spec(
        "Every quotation in the body, with its authorization: quote, name, signed_on, "
        "expires_on or expires_when, scope, document, connection (see Compliance).",
        default=(),
    )
    sponsored_by: str | None = spec(
        "Who paid for this article, if anyone (a drug maker, a device company): the email "
        "says 'Sponsored by ...' and only readers who gave marketing authorization may get it.",
        default=None,
    )
    lint_allow: tuple[LintAllow, ...] = spec(
        "Exceptions to checks for this article: rule, reason, optional text (see Checks).",
        default=(),
    )


@dataclass(frozen=True)
class Article:
    """An article as the pipeline sees it: its front matter, its body and where they came from."""

    slug: str
    path: Path
    meta: ArticleMeta
    body: str
    body_line: int
    lines: dict[str, int]

    def line_of(self, field: str) -> int:
        return self.lines.get(field, 1)


@dataclass(frozen=True)
class IssueMeta:
    """content/issues/<YYYY-MM>.yaml: one monthly issue."""

    subject: str = spec("The subject line (30-50 characters show fully on phones).")
    preheader: str = spec("The inbox preview text after the subject (40-130 characters).")
    date: dt.date = spec("The issue's date (YYYY-MM-DD); it appears in the email.")
    featured: str = spec("The slug of the article that leads the issue.")
    intro: str = spec("A short welcome in Markdown.", default="", multiline=True)
    articles: tuple[str, ...] = spec(
        "Slugs of the other articles, in order. The featured one may be listed too: it is shown "
        "once, first.",
        default=(),
    )
    cta: Link | None = spec("The issue's call to action; else the clinic's.", default=None)
    layout: str = spec(
        "Which layout in templates/layouts/ to use: digest (default) or spotlight.",
        default="digest",
    )
    title: str | None = spec(
        "The heading at the top of the email; by default the issue's month, e.g. 'November 2026'.",
        default=None,
    )
    lint_allow: tuple[LintAllow, ...] = spec(
        "Exceptions to checks for this issue's file: rule, reason, optional text (see Checks).",
        default=(),
    )
    sponsored_by: str | None = spec(
        "Who paid for this issue, if anyone: the email says 'Sponsored by ...' and a list "
        "send needs `compliance: marketing_authorization_on` in clinic.yaml.",
        default=None,
    )


@dataclass(frozen=True)
class Issue:
    """An issue as the pipeline sees it."""

    id: str
    path: Path
    meta: IssueMeta
    lines: dict[str, int]
    article_lines: tuple[int, ...] = ()  # line of each item of `articles`

    def line_of(self, field: str) -> int:
        return self.lines.get(field, 1)

    @property
    def article_slugs(self) -> tuple[str, ...]:
        """Featured first, then the others in order, each once."""
        ordered = [self.meta.featured, *self.meta.articles]
        return tuple(dict.fromkeys(ordered))


@dataclass(frozen=True)
class Project:
    """Everything loaded and validated: what later stages build from."""

    root: Path
    clinic: Clinic
    articles: dict[str, Article]
    issues: dict[str, Issue]
    out: Path | None = None  # where outputs go (`--out`); None: dist/ in the project

    @cached_property
    def paths(self) -> ProjectPaths:
        """Every folder and file of the project (paths.py): nothing else joins their names."""
        return ProjectPaths.of(self.root, self.out)

    @property
    def content_dir(self) -> Path:
        return self.paths.content

    @property
    def templates_dir(self) -> Path:
        return self.paths.templates

    def newest_issue(self) -> Issue | None:
        return max(self.issues.values(), key=lambda i: (i.meta.date, i.id), default=None)
