"""The one place a user-supplied path is turned into a file: confinement and safe reading.

Every reference a clinic writes (an article's image, the logo, the suppression file, a link under
`images_base_url`) and every file the loader finds (articles, issues) goes through here. A
reference must resolve, after `..` and symlinks, to a regular file inside `content/`; anything
else (an absolute path, `../`, a symlink leading out, a FIFO, a device, a folder, a file over
the size limit) is refused with a reason a person can act on. Reading opens the file without
blocking and checks what it is before reading a byte, so a FIFO never hangs a build and
`/dev/zero` never fills memory.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path, PurePosixPath

# Documented limits (docs/security.md): far above any real newsletter, far below trouble.
MAX_TEXT_BYTES = 1024 * 1024  # clinic.yaml, an issue
MAX_ARTICLE_BYTES = 256 * 1024  # an article: ~40,000 words; Markdown parsing is slow beyond
MAX_PARAGRAPH_CHARS = 20_000  # one paragraph; some inputs make parsing quadratic in its length
MAX_IMAGE_BYTES = 20 * 1024 * 1024  # an image copied to dist/, zipped or served
MAX_LIST_BYTES = 200 * 1024 * 1024  # a subscriber CSV

# Issue names: YYYY-MM, optionally followed by -slug (2026-11, 2026-11-flu-season).
ISSUE_NAME = re.compile(r"(?:19|20|21)\d\d-(?:0[1-9]|1[0-2])(?:-[a-z0-9]+(?:-[a-z0-9]+)*)?")
ISSUE_NAME_RULE = "YYYY-MM or YYYY-MM-slug (lowercase letters, digits and dashes), like 2026-11"
ISSUE_NAME_MAX = 60


class Refused(Exception):
    """A path or file that must not be used; `reason` completes "image 'x' ..."."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def issue_name_problem(name: str) -> str | None:
    """Why `name` cannot be an issue's name (it becomes a folder under dist/), or None."""
    if len(name) <= ISSUE_NAME_MAX and ISSUE_NAME.fullmatch(name):
        return None
    return f"'{_short(name)}' is not an issue name; name issue files {ISSUE_NAME_RULE}"


def is_issue_name(name: str) -> bool:
    return issue_name_problem(name) is None


def relative_ref_problem(ref: str) -> str | None:
    """Why a reference written in content cannot be a path inside content/, or None.

    Checked on the text alone, before any file is looked at."""
    if not ref or ref != ref.strip():
        return "must be a file name like images/logo.png, without spaces around it"
    if "\\" in ref or "\x00" in ref or any(ord(c) < 32 for c in ref):
        return "must use / between folders and no control characters"
    if ref.startswith("/") or re.match(r"^[A-Za-z]:", ref) or ref.startswith("~"):
        return "must be a path inside content/, like images/logo.png, not an absolute path"
    parts = PurePosixPath(ref).parts
    if ".." in parts:
        return "must stay inside content/: '..' is not allowed"
    if any(part.startswith(".") for part in parts):
        return "must not name a hidden file or folder (one starting with '.')"
    return None


def url_path(ref: str) -> str:
    """A content reference (images/My Photo (1).jpg) as it is written after images_base_url:
    percent-encoded, once, whether or not the author already encoded it, so every image
    address is one token (no space, quote or parenthesis) that HTML, CSS url() and the
    packages' rewriting all read the same way; `unquote` gives the reference back."""
    from urllib.parse import quote, unquote

    return quote(unquote(ref), safe="/")


def inside(root: Path, ref: str) -> Path:
    """`root/ref` after resolving `..` and symlinks, or Refused when it leaves `root`.
    Decided on every call (a symbolic link can appear between two builds)."""
    problem = relative_ref_problem(ref)
    if problem:
        raise Refused(problem)
    if os.name == "posix":
        base_text = os.path.realpath(root)
        found = _plainly_below(base_text, PurePosixPath(ref).parts)
        if found is not None:  # no symbolic link under the base: inside by construction
            return Path(found)
    try:
        base = root.resolve()
        target = (base / ref).resolve()
    except RuntimeError:  # pathlib's word for a loop of symbolic links
        raise Refused(f"cannot be read ({_why(OSError(errno.ELOOP, 'loop'))})") from None
    if target != base and base not in target.parents:
        raise Refused("leads outside content/ (through a symbolic link); copy the file in")
    return target


def _plainly_below(base: str, parts: tuple[str, ...]) -> str | None:
    """`base/parts...` as resolving it gives it, when `base` is resolved already and no part
    is a symbolic link (looked at with lstat, as resolving does); None when one is, so the
    caller resolves it the slow way. A part that does not exist ends the look: resolving
    appends it and the rest as written. Neither `..` nor `.` reaches here."""
    path = base
    looking = True
    for part in parts:
        path = os.path.join(path, part)
        if looking:
            try:
                mode = os.lstat(path).st_mode
            except OSError:
                looking = False
                continue
            if stat.S_ISLNK(mode):
                return None
    return path


def real_path(path: Path) -> Path:
    """`path` with its symbolic links resolved as far as they go, to compare two paths;
    unlike Path.resolve() it never raises (a loop of links stays as written)."""
    return Path(os.path.realpath(path))


def regular_file(path: Path, limit: int) -> os.stat_result:
    """The file's status when it is a regular file within `limit` bytes; else Refused."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise Refused("not found") from None
    except OSError as exc:
        raise Refused(f"cannot be read ({_why(exc)})") from None
    _check_kind(info, limit)
    return info


def _check_kind(info: os.stat_result, limit: int) -> None:
    """Refused unless the status is a regular file's, within `limit` bytes."""
    if stat.S_ISDIR(info.st_mode):
        raise Refused("is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise Refused("is not a regular file (a pipe, device or socket); use an ordinary file")
    if info.st_size > limit:
        raise Refused(f"is too big ({_size(info.st_size)}; the limit is {_size(limit)})")


def content_file(content_dir: Path, ref: str, limit: int = MAX_IMAGE_BYTES) -> Path:
    """A reference from content (image, logo, suppression file) as a checked regular file."""
    path = inside(content_dir, ref)
    regular_file(path, limit)
    return path


def content_file_exists(content_dir: Path, ref: str) -> bool:
    try:
        content_file(content_dir, ref)
    except Refused:
        return False
    return True


def confined_listing(
    folder: Path, content_dir: Path, limit: int = MAX_TEXT_BYTES
) -> Refused | None:
    """Why a file found in a content folder (an article, an issue) must not be used, or None."""
    resolved = _listed_below(folder, content_dir)
    if resolved is not None:  # no symbolic link on the way: inside by construction
        try:
            regular_file(resolved, limit)
        except Refused as exc:
            return exc
        return None
    try:
        resolved = folder.resolve()
        base = content_dir.resolve()
    except OSError as exc:
        return Refused(f"cannot be read ({_why(exc)})")
    except RuntimeError:  # pathlib's word for a loop of symbolic links
        return Refused(f"cannot be read ({_why(OSError(errno.ELOOP, 'loop'))})")
    if base not in resolved.parents:
        return Refused(
            "is a symbolic link to a file outside content/; copy the file into content/ instead"
        )
    try:
        regular_file(resolved, limit)
    except Refused as exc:
        return exc
    return None


def _listed_below(path: Path, content_dir: Path) -> Path | None:
    """`path` resolved, when it lies under `content_dir` with no symbolic link between them
    (POSIX; see `_plainly_below`), else None."""
    if os.name != "posix":
        return None
    try:
        parts = path.relative_to(content_dir).parts
    except ValueError:
        return None
    if not parts or ".." in parts:
        return None
    found = _plainly_below(os.path.realpath(content_dir), parts)
    return Path(found) if found is not None else None


def read_bytes(path: Path, limit: int) -> bytes:
    """Read a regular file of at most `limit` bytes without ever blocking on a FIFO."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise Refused("not found") from None
    except OSError as exc:
        raise Refused(f"cannot be read ({_why(exc)})") from None
    try:
        _check_kind(os.fstat(fd), limit)
        chunks: list[bytes] = []
        total = 0
        while True:
            try:
                chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            except OSError as exc:
                raise Refused(f"cannot be read ({_why(exc)})") from None
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise Refused(f"is too big (more than {_size(limit)})")
        return b"".join(chunks)
    finally:
        os.close(fd)


def safe_relative(name: str) -> str:
    """A relative name to join onto an output folder or to write as a zip entry.

    Raises ValueError (a bug: names reaching here were checked where they were written)."""
    if relative_ref_problem(name) is not None:
        raise ValueError(f"unsafe output name: {name!r}")
    return name


def out_problem(out: Path, root: Path) -> str | None:
    """Why `out` cannot hold the outputs (they replace whole folders inside it), or None."""
    try:
        target = out.resolve()
        base = root.resolve()
    except OSError as exc:
        return f"{out}: cannot be used ({_why(exc)})"
    if target.exists() and not target.is_dir():
        return f"{out}: is a file, not a folder; remove it or choose another --out"
    for protected in ("content", "templates"):
        folder = base / protected
        if target == folder or folder in target.parents:
            return f"{out}: is inside {protected}/; write the outputs somewhere else, like dist/"
    if target == base or target in base.parents:
        return f"{out}: is the project folder or one above it; use a folder like dist/"
    return None


def describe_os_error(exc: OSError, path: Path | None = None) -> str:
    """An operating-system error in plain words, for a message that names the path."""
    return _why(exc)


def _why(exc: OSError) -> str:
    code = exc.errno
    if code == errno.ENOSPC or code == errno.EDQUOT:
        return "the disk is full; free some space and run it again"
    if code in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission denied; check the folder's permissions"
    if code == errno.ENOTDIR:
        return "a file is in the way where a folder is needed; remove or rename it"
    if code == errno.EISDIR:
        return "a folder is in the way where a file is needed"
    if code == errno.ELOOP:
        return "too many symbolic links"
    if code == errno.ENAMETOOLONG:
        return "the name is too long"
    return (exc.strerror or str(exc)).lower()


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.1f} MB"
    return f"{count / 1024:.0f} KB"


def _short(text: str, limit: int = 40) -> str:
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= limit else text[:limit] + "..."
