"""Stage 7: write the outputs. Nothing is written until every issue of the run has built."""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write to a temporary file beside `path`, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def dumps_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def copy_file(source: Path, target: Path) -> None:
    """Copy a file unless an identical one is already there (keeps rebuilds cheap)."""
    if (
        target.is_file()
        and target.stat().st_size == source.stat().st_size
        and target.read_bytes() == source.read_bytes()
    ):
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    shutil.copyfile(source, tmp)
    os.replace(tmp, target)


def replace_folder(
    target: Path,
    files: Mapping[str, bytes | Path],
    *,
    carry_over: bool = False,
    base: Path | None = None,
) -> None:
    """Make `target` hold exactly `files` (name -> bytes, or a file to copy), all at once.

    The new folder is written beside it and renamed into place, so a reader of dist/ sees the
    old folder or the new one, never a mix, and a failed run (full disk, permissions) leaves
    the old one as it was. With `carry_over`, entries of the old folder that `files` does not
    replace (exports, the send journal, screenshots) are kept: hard-linked into the new folder,
    so the old one stays whole until the swap. Raises NewsletterError in plain words.
    """
    from .confine import describe_os_error, safe_relative
    from .errors import NewsletterError, Problem

    parent = target.parent
    fresh: Path | None = None
    try:
        if parent.exists() and not parent.is_dir():
            raise NotADirectoryError(20, "not a folder", str(parent))
        parent.mkdir(parents=True, exist_ok=True)
        if base is not None:
            _no_links_between(base, parent)
        _recover(target)
        if target.is_symlink() or (target.exists() and not target.is_dir()):
            raise NewsletterError(
                [Problem(target, None, "is in the way: it is not a folder; move or delete it")]
            )
        if _holds_exactly(target, files, carry_over):
            return  # a rebuild of an unchanged issue: the swap would change nothing
        fresh = Path(tempfile.mkdtemp(dir=parent, prefix=f".{target.name}.new-"))
        for name in sorted(files):
            path = fresh / safe_relative(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            data = files[name]
            if isinstance(data, Path):
                shutil.copyfile(data, path)
            else:
                path.write_bytes(data)
            os.chmod(path, 0o644)
        for folder in [fresh, *(p for p in fresh.rglob("*") if p.is_dir())]:
            os.chmod(folder, 0o755)  # the same modes whatever the umask
        if carry_over and target.is_dir():
            produced = {name.split("/", 1)[0] for name in files}
            for entry in target.iterdir():
                if entry.name not in produced and not entry.name.startswith(".nl-"):
                    _link_copy(entry, fresh / entry.name)
        if target.is_dir():
            old = parent / f".{target.name}.old-{os.getpid()}"
            shutil.rmtree(old, ignore_errors=True)
            os.rename(target, old)
            try:
                os.rename(fresh, target)
            except BaseException:
                os.rename(old, target)
                raise
            fresh = None
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(fresh, target)
            fresh = None
    except OSError as exc:
        where = Path(exc.filename) if isinstance(exc.filename, str) else target
        if fresh is not None and fresh in where.parents:
            where = target / where.relative_to(fresh)
        raise NewsletterError(
            [Problem(where, None, f"cannot write here: {describe_os_error(exc)}")]
        ) from None
    finally:
        if fresh is not None:
            shutil.rmtree(fresh, ignore_errors=True)


def _holds_exactly(target: Path, files: Mapping[str, bytes | Path], carry_over: bool) -> bool:
    """Whether `target` already is what replacing it would make it: the same bytes under the
    same names, the modes replace_folder gives (0644, folders 0755), no symbolic link, nothing
    else in the folders it writes, nothing else at all unless `carry_over` (and then no
    `.nl-` entry, which the replacement drops). Reading is much cheaper than writing a folder
    and deleting the old one (`build --all` rebuilds every past issue unchanged)."""
    try:
        if not _plain(target, stat.S_IFDIR, 0o755):
            return False
        wanted = {PurePosixPath(name) for name in files}
        folders = {parent for name in wanted for parent in name.parents if parent.parts}
        known = wanted | folders
        for entry in os.listdir(target):
            if entry.startswith(".nl-") or (not carry_over and PurePosixPath(entry) not in known):
                return False
        for folder in folders:
            if not _plain(target / folder, stat.S_IFDIR, 0o755):
                return False
            if any(folder / entry not in known for entry in os.listdir(target / folder)):
                return False
        for name, data in files.items():
            path = target / name
            if not _plain(path, stat.S_IFREG, 0o644):
                return False
            if isinstance(data, Path):
                if path.stat().st_size != data.stat().st_size or (
                    path.read_bytes() != data.read_bytes()
                ):
                    return False
            elif path.stat().st_size != len(data) or path.read_bytes() != data:
                return False
    except OSError:
        return False
    return True


def _plain(path: Path, kind: int, mode: int) -> bool:
    """`path` is a file or folder (`kind`, not a symbolic link) with exactly `mode`."""
    info = os.lstat(path)
    return stat.S_IFMT(info.st_mode) == kind and stat.S_IMODE(info.st_mode) == mode


def _no_links_between(base: Path, folder: Path) -> None:
    """Refuse a symbolic link among the folders from `base` down to `folder` (a cloned
    project whose `dist/2026-11/export` leads to another place must not be written through)."""
    from .errors import NewsletterError, Problem

    try:
        inner = folder.relative_to(base)
    except ValueError:
        return
    current = base
    for part in inner.parts:
        current = current / part
        if current.is_symlink():
            raise NewsletterError(
                [Problem(current, None, "is a symbolic link; remove it, the outputs go here")]
            )


def _recover(target: Path) -> None:
    """A run killed between the two renames left the old folder aside: put it back."""
    if target.exists():
        return
    for old in sorted(target.parent.glob(f".{target.name}.old-*")):
        if old.is_dir():
            os.rename(old, target)
            return


def _link_copy(source: Path, target: Path) -> None:
    """Hard-link (or copy) a file or folder tree, keeping symbolic links as links."""

    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst, follow_symlinks=False)
        except OSError:
            shutil.copy2(src, dst, follow_symlinks=False)

    if source.is_symlink() or not source.is_dir():
        link(str(source), str(target))
    else:
        shutil.copytree(source, target, symlinks=True, copy_function=link)
