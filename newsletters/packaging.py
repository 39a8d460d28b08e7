"""How each email platform takes an export: which files, where the images go, what to do next.

export.py decides the merge tags; this module decides the package around them. Each rule below
quotes the platform's own documentation (or a maintained guide quoting it) beside it, because
an importer that silently ignores a file is the failure a clinic cannot see coming:

- Mailchimp imports a zip and hosts the images in it only when they sit beside the HTML file and
  are referenced by a relative path; anything else in the zip is rejected or ignored.
- Campaign Monitor's template import takes the HTML and a zip of the images it references
  relatively.
- Every other platform takes the HTML as it is: images must be on the web already.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

# How the package carries the images.
FLAT_ZIP = "flat-zip"  # images beside the HTML in one zip, referenced by bare file names
IMAGES_ZIP = "images-zip"  # the HTML refers to images/...; the images travel in their own zip
PUBLISHED = "published"  # absolute URLs under images_base_url: publish the images first


@dataclass(frozen=True)
class Packaging:
    """One platform's import: the kind of package, the documentation behind it, the steps."""

    kind: str
    source: str  # the documentation the rule follows, quoted
    steps: tuple[str, ...]


# Mailchimp's own help, "Create a Custom Template": "On the Code Your Own tab, select Import
# HTML or Import ZIP to upload a file from your computer. Click Browse and choose your HTML or
# ZIP file. Name your template, and click Upload." The layout of the zip is not on a Mailchimp
# page this project could read; it follows Maizzle's Mailchimp guide (a secondary source):
# "Mailchimp requires that the zip archive contains the HTML file and all its images in the
# same folder ... In order for an image to be uploaded to Mailchimp's servers, it must be
# referenced using a relative path: <img src="image1.jpg">". Absolute URLs are left as they
# are. The importer takes the HTML and images only, so the zip holds nothing else: no text
# part, no meta.json, no README.
_MAILCHIMP = Packaging(
    FLAT_ZIP,
    "Mailchimp: 'the zip archive contains the HTML file and all its images in the same folder'; "
    "images are hosted only when 'referenced using a relative path'.",
    (
        "In Mailchimp open Templates > Create Template > Code your own > Import zip.",
        "Choose {zip} (Mailchimp hosts the images inside it), name the template and upload.",
        "Create an email (Regular campaign), choose the template under Saved templates.",
        "Paste the subject and preview text shown above, then Preview and Test before sending.",
        "The plain-text version is email.txt in this folder: paste it in the Plain-text tab.",
    ),
)

# Campaign Monitor's own API reference (api/v3-3/templates, "Creating a template"): a template
# is made "by providing the name of the template and URLs for the HTML file and a zip of all
# other files" (HtmlPageURL, ZipFileURL); its "Import your own HTML template" screen asks for
# the same two files. The HTML refers to the images by relative paths (images/...), the paths
# they have in the zip.
_CAMPAIGN_MONITOR = Packaging(
    IMAGES_ZIP,
    "Campaign Monitor: the template import takes the HTML page and 'a zip file of images' "
    "referenced by relative paths.",
    (
        "In Campaign Monitor open Templates > Import HTML template (My templates).",
        "Upload email.html as the HTML page and {images_zip} as the zip of images.",
        "Create a campaign from that template and paste the subject and preheader above.",
        "Paste email.txt as the plain-text version, then send a test before you send.",
    ),
)


def _published(title: str, where: str) -> Packaging:
    # Brevo, SendGrid, Mailgun, Amazon SES, Postmark, Klaviyo, listmonk: the HTML is pasted or
    # uploaded as it is; none hosts images from a zip. Mailchimp's own "Common HTML Mistakes"
    # page says what holds for pasted HTML everywhere: "host all of your images on your server,
    # then use absolute paths that point back to your server" (and "About HTML Email": "Post
    # images on a publicly accessible web server. Use absolute paths in your code").
    return Packaging(
        PUBLISHED,
        f"{title} takes the HTML as it is and does not host images from a zip: image addresses "
        "must be absolute and already published.",
        (
            "Publish the images first (see Images above).",
            f"In {title} {where}, and paste or upload email.html.",
            "Paste the subject and preheader above, and email.txt as the plain-text version.",
            "Send yourself a test and check that every image shows.",
        ),
    )


PACKAGING: dict[str, Packaging] = {
    "mailchimp": _MAILCHIMP,
    "campaign-monitor": _CAMPAIGN_MONITOR,
    "sendgrid": _published(
        "SendGrid", "create a Single Send (Marketing > Single Sends) with the Code Editor"
    ),
    "mailgun": _published("Mailgun", "create a template (Sending > Templates > HTML editor)"),
    "brevo": _published("Brevo", "create a campaign and choose 'Paste your code'"),
    "klaviyo": _published("Klaviyo", "create a template with 'Import your HTML' (or Code)"),
    "ses": _published("Amazon SES", "create an email template (CreateEmailTemplate)"),
    "postmark": _published("Postmark", "create a template on your Broadcast stream"),
    "listmonk": _published("listmonk", "create a campaign with the 'Raw HTML' format"),
    "html": _published("your email program or platform", "start a new email from HTML"),
}

# Platforms people ask for that have no export of their own: the generic HTML works with them.
UNSUPPORTED = {
    "constant-contact": "Constant Contact",
    "constantcontact": "Constant Contact",
    "activecampaign": "ActiveCampaign",
    "hubspot": "HubSpot",
    "convertkit": "Kit (ConvertKit)",
    "kit": "Kit (ConvertKit)",
    "mailerlite": "MailerLite",
    "aweber": "AWeber",
    "getresponse": "GetResponse",
    "moosend": "Moosend",
    "drip": "Drip",
    "omnisend": "Omnisend",
    "emma": "Emma",
    "benchmark": "Benchmark Email",
    "zoho-campaigns": "Zoho Campaigns",
    "beehiiv": "beehiiv",
    "substack": "Substack",
    "outlook": "Outlook",
    "gmail": "Gmail",
}
ALIASES = {
    "campaignmonitor": "campaign-monitor",
    "amazon-ses": "ses",
    "amazonses": "ses",
    "sendinblue": "brevo",
    "mail-chimp": "mailchimp",
    "send-grid": "sendgrid",
    "email": "eml",
}


def normalise(name: str) -> str:
    """A platform name as typed ('Campaign Monitor', 'MAILCHIMP') in the form the table uses."""
    key = re.sub(r"[\s_]+", "-", name.strip().lower())
    return ALIASES.get(key, key)


def unsupported_message(name: str) -> str | None:
    """What to use instead of a platform this program has no export for, or None if unknown."""
    title = UNSUPPORTED.get(normalise(name))
    if title is None:
        return None
    return (
        f"{title} has no export of its own: use --platform html and replace the links to your "
        "own unsubscribe and web-version pages with its merge tags by hand"
    )


# ---------------------------------------------------------------- image references


# Mailchimp, "Troubleshooting Images in Campaigns": "Images should not contain spaces or special
# characters in the file name, as this can cause upload issues ... Remove the space or replace
# them with underscores." Every name a package gives an image is letters, digits, . _ - only.
_NOT_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _safe(part: str) -> str:
    name = re.sub(r"_+(?=\.)|(?<=\.)_+", "", _NOT_SAFE.sub("_", part))  # My_Photo_1.jpg
    return name.strip("_") or "image"


def _unique(names: dict[str, str], taken: set[str], ref: str, name: str) -> None:
    stem, dot, ext = name.rpartition(".")
    counter = 2
    while name.lower() in taken:
        name = f"{stem}-{counter}{dot}{ext}" if dot else f"{name}-{counter}"
        counter += 1
    taken.add(name.lower())
    names[ref] = name


def flat_names(refs: Sequence[str]) -> dict[str, str]:
    """Each image path (images/a/My logo.png) -> a unique, safe bare file name for a flat zip."""
    names: dict[str, str] = {}
    taken: set[str] = {"email.html"}  # the HTML's own name in the zip
    for ref in sorted(refs):
        name = _safe(posixpath.basename(ref))
        if name.lower() in taken:
            name = "-".join(_safe(part) for part in PurePosixPath(ref).parts)
        _unique(names, taken, ref, name)
    return names


def safe_paths(refs: Sequence[str]) -> dict[str, str]:
    """Each image path -> the same folders and name with only safe characters, unique."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for ref in sorted(refs):
        _unique(names, taken, ref, "/".join(_safe(p) for p in PurePosixPath(ref).parts))
    return names


# Mailchimp, "Troubleshooting Images in Campaigns": "make sure the image's file extension (JPG,
# PNG, GIF) is in the URL"; its content manager hosts those three image types.
MAILCHIMP_IMAGE_TYPES = (".jpg", ".jpeg", ".png", ".gif")


def point_images(html: str, base_url: str, targets: Mapping[str, str]) -> str:
    """Replace each absolute image address (base_url + the reference, percent-encoded as
    confine.url_path writes it) with its package-relative name; other addresses stay."""
    from urllib.parse import unquote

    base = re.escape(base_url.rstrip("/") + "/")

    def swap(match: re.Match[str]) -> str:
        ref = unquote(match.group(1))
        return targets[ref] if ref in targets else match.group(0)

    # An address ends where HTML or CSS ends it: a quote (or &quot;), space, ) < > ? #.
    return re.sub(base + r"((?:(?!&quot;)[^\"'\s)<>?#])+)", swap, html)


# ---------------------------------------------------------------- next steps


@dataclass(frozen=True)
class Images:
    """Where an export's local images are: inside the package, or to be published."""

    count: int
    package: str | None  # the zip that carries them, when the platform hosts them
    publish_folder: str | None  # the folder to publish at base_url, when it does not
    base_url: str
    example: str | None  # one image's public address, for the reachability advice


def _printable(text: str) -> str:
    """User text on a terminal or in a README: no control characters, one line. The WORD
    JOINER export.py puts after template syntax in the subject stays: it keeps that inert."""
    return " ".join("".join(c if c.isprintable() or c == "\u2060" else " " for c in text).split())


def next_steps(
    title: str,
    issue_id: str,
    subject: str,
    preheader: str,
    images: Images,
    steps: Sequence[str],
    names: Mapping[str, str],
) -> list[str]:
    """What to do after an export, in plain lines: printed at the end and written to README.txt."""
    lines = [
        f"Next steps for {title} ({issue_id}):",
        f"  Subject:   {_printable(subject)}",
        f"  Preheader: {_printable(preheader)}",
    ]
    plural = "s" if images.count != 1 else ""
    if images.count == 0:
        lines.append("  Images:    none from content/; every image is already a web address.")
    elif images.package is not None:
        lines.append(
            f"  Images:    the {images.count} image{plural} travel inside {images.package}; "
            f"{title} hosts them when it imports it."
        )
    else:
        lines.append(
            f"  Images:    publish the {images.count} file{plural} in {images.publish_folder}/ "
            f"at {images.base_url} before sending: the email links to them there."
        )
        lines.append(
            "             Whether they are already there cannot be checked offline: open "
            f"{images.example} in a browser to see."
        )
    lines += [f"  {n}. {step.format(**names)}" for n, step in enumerate(steps, 1)]
    return lines
