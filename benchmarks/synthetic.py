"""Synthetic newsletter projects of any size, for the benchmark and its smoke test.

A project is the sample clinic (content/clinic.yaml, images, templates/) with the sample's
articles and issues replaced by `count` generated articles and one issue listing them all.
Bodies are realistic Markdown (headings, lists, emphasis, links); every other
article is shown in full, the rest as a teaser linking to the clinic's site, as in the sample.
"""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ISSUE_ID = "2030-01"

CONDITIONS = ("chronic-pain", "migraine", "fibromyalgia", "neuropathy", "crps")
IMAGES = (
    "images/chronic-pain.png",
    "images/migraine.png",
    "images/fibromyalgia.png",
    "images/neuropathy.png",
    "images/crps.png",
)
SYMPTOMS = (
    "Pain that lasts longer than three months",
    "Trouble sleeping through the night",
    "Tiredness that rest does not fix",
    "Sensitivity to light, sound or touch",
    "Low mood or irritability",
    "Burning, tingling or numbness",
    "Stiffness after rest",
)
PARAGRAPHS = (
    "Pain has a job: it warns us to protect an injury while the body repairs it, and it "
    "normally eases as healing finishes. Pain that lingers long after an injury should have "
    "healed, or that has no clear cause, is a signal worth taking *seriously*.",
    "Living with it day after day often disturbs sleep and mood. Research summarised by the "
    "[Mayo Clinic](https://www.mayoclinic.org/diseases-conditions/chronic-pain) notes that "
    'it can reduce quality of life and contribute to "mental health" problems.',
    "Every person's pain is different, so a good plan starts with a conversation. Bring a "
    "list of your medicines, what you have tried so far, and what **matters most** to you: "
    "work, family, sleep or simply a walk around the block.",
    "Scientists are learning more every year, but much is still unknown. Treatment is not "
    "right for everyone and results vary; a qualified clinician can help you weigh the "
    "options, including ones that are [off-label](/conditions/off-label).",
)


def article_markdown(index: int, count: int) -> str:
    """One article file: YAML front matter and a Markdown body of about 250 words."""
    condition = CONDITIONS[index % len(CONDITIONS)]
    full = index % 2 == 0  # the first (featured) article and every other one in full
    symptoms = "\n".join(
        f"  - {SYMPTOMS[(index + k) % len(SYMPTOMS)]}" for k in range(3 + index % 4)
    )
    lines = [
        "---",
        f'title: "Living with {condition.replace("-", " ")}: part {index + 1} of {count}"',
        f"condition: {condition}",
        "summary: >",
        f"  What long-lasting {condition.replace('-', ' ')} can feel like, what may help, and",
        "  when it is worth talking with a clinician about it.",
        f"image: {IMAGES[index % len(IMAGES)]}",
        f'image_alt: "Illustration for article {index + 1}"',
        "symptoms:",
        symptoms,
        "sources:",
        f'  - title: "Mayo Clinic: {condition.replace("-", " ").title()}"',
        f"    url: https://www.mayoclinic.org/diseases-conditions/{condition}/art-{index:05d}",
        '  - title: "NIH: Pain research"',
        f"    url: https://www.ninds.nih.gov/health-information/pain/{index}",
        "reviewed_by: Medical team, Ketamine Clinic of West Texas",
        "reviewed_on: 2029-11-15",  # recent at the issue's date: the checks pass
    ]
    if not full:
        lines.append(f"url: https://www.ketamineclinicwtx.example/blog/article-{index:03d}")
    body = [
        PARAGRAPHS[index % len(PARAGRAPHS)],
        PARAGRAPHS[(index + 1) % len(PARAGRAPHS)],
        "## Is it affecting your life?",
        "If several of these sound familiar, it may be time to talk with someone:",
        "- it wakes you at night\n- it keeps you from work or family\n- it has lasted for months",
        PARAGRAPHS[(index + 2) % len(PARAGRAPHS)],
        "## What may help",
        "1. A careful assessment\n2. A plan made together\n3. Regular check-ins",
        "**Talk with a qualified clinician about your own health.**",
        PARAGRAPHS[(index + 3) % len(PARAGRAPHS)],
    ]
    return "\n".join([*lines, "---", "\n\n".join(body), ""])


def issue_yaml(count: int, first: int = 0, date: str = "2030-01-05") -> str:
    slugs = [slug(i) for i in range(first, first + count)]
    listed = "".join(f"\n  - {s}" for s in slugs[1:])
    return (
        "subject: A synthetic issue for the benchmark\n"
        "preheader: Generated articles about long-lasting pain, to measure every stage.\n"
        f"date: {date}\n"
        f"featured: {slugs[0]}\n"
        f"articles:{listed if listed else ' []'}\n"
        "intro: |\n"
        "  Pain is meant to fade as the body heals. This month we look at what it means when\n"
        "  it does not, and at the conditions that often sit behind it.\n"
    )


def slug(index: int) -> str:
    return f"article-{index + 1:03d}"


# The sample clinic's placeholders and what a clinic ready to send has instead: export and
# list sends refuse the placeholders (newsletters/placeholders.py). The tests use it too.
CLAIMED = {
    "ketamineclinicwtx.example": "ketamineclinicwtx.com",
    "555-0142": "744-0142",
    "5550142": "7440142",
    "1234 Example Avenue": "1234 Avenue Q",
    "Talk with a qualified clinician": "Talk with one of our clinicians",
}


def claim_sample(root: Path) -> Path:
    """The sample at `root` with its placeholders replaced, as a clinic ready to send has."""
    clinic = root / "content" / "clinic.yaml"
    text = clinic.read_text(encoding="utf-8")
    for old, new in CLAIMED.items():
        text = text.replace(old, new)
    clinic.write_text(text, encoding="utf-8")
    for path in [
        *(root / "content" / "articles").glob("*.md"),
        *(root / "content" / "issues").glob("*.yaml"),
    ]:
        text = path.read_text(encoding="utf-8")
        path.write_text(
            text.replace("ketamineclinicwtx.example", CLAIMED["ketamineclinicwtx.example"]),
            encoding="utf-8",
        )
    for name in ("logo.png", "logo-dark.png"):
        logo = root / "content" / "images" / name
        logo.write_bytes(logo.read_bytes() + b"clinic's own")  # after IEND: the same picture
    return root


def issue_id(index: int) -> str:
    """Monthly issues ending at ISSUE_ID: 2025-02 ... 2030-01 for 60 issues."""
    year, month = divmod(2030 * 12 + 0 - index, 12)
    return f"{year}-{month + 1:02d}"


def make_project(dest: Path, count: int) -> Path:
    """Write a project with `count` articles and one issue (2030-01) into `dest`."""
    if count < 1:
        raise ValueError("an issue needs at least one article")
    shutil.copytree(REPO / "templates", dest / "templates")
    shutil.copytree(REPO / "content", dest / "content")
    for old in [
        *(dest / "content" / "articles").glob("*.md"),
        *(dest / "content" / "issues").glob("*.yaml"),
    ]:
        old.unlink()
    for index in range(count):
        (dest / "content" / "articles" / f"{slug(index)}.md").write_text(
            article_markdown(index, count), encoding="utf-8"
        )
    (dest / "content" / "issues" / f"{ISSUE_ID}.yaml").write_text(
        issue_yaml(count), encoding="utf-8"
    )
    return claim_sample(dest)


def make_library(dest: Path, issues: int, per_issue: int) -> tuple[Path, list[str]]:
    """A project with `issues` monthly issues of `per_issue` articles each, none shared (a
    clinic's archive of several years): for `build --all` and `lint --all`."""
    total = issues * per_issue
    root = make_project(dest, total)
    (root / "content" / "issues" / f"{ISSUE_ID}.yaml").unlink()
    names = []
    for index in range(issues):
        name = issue_id(index)
        (root / "content" / "issues" / f"{name}.yaml").write_text(
            issue_yaml(per_issue, index * per_issue, f"{name}-05"), encoding="utf-8"
        )
        names.append(name)
    return root, names
