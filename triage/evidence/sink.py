"""Where the pack's files go once a section has written them: each is hashed for the manifest
and, for a zipped pack, deflated into the zip, in a thread of its own while the exporter goes
on with the next section (hashlib and zlib release the GIL on large buffers, so the work runs
beside the export on a second core). One read of each file does both.

The manifest lists every file with the SHA-256 and size of its content, the bytes that
extracting the zip gives back; the zip is only the container (deflate, and its own CRC-32 per
member). So a zipped pack and its extracted directory verify alike.
"""

from __future__ import annotations

import contextlib
import hashlib
import queue
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path

from triage.evidence.pack import UNLISTED, FileEntry

ZIP_LEVEL = 6  # zlib's default: the pack of a million events deflates to about a sixth
_CHUNK = 1 << 20
_ZIP64_FROM = 1 << 30  # members this large are written with ZIP64 sizes


class PackSink:
    """Hashes (and zips) the files under ``work`` as they are handed over, in order."""

    def __init__(self, work: Path, zip_path: Path | None = None, root_name: str = "") -> None:
        self.work = work
        self.root = root_name
        self.zip = (
            zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL)
            if zip_path is not None
            else None
        )
        self.entries: dict[str, FileEntry] = {}
        self._seen: set[str] = set()
        self._todo: queue.Queue[str | None] = queue.Queue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="pack-sink", daemon=True)
        self._thread.start()

    def add_new(self) -> None:
        """Hand over every file under ``work`` not handed over yet, but the manifest and its
        signature (written last, once every other file is hashed). Call it when the files
        written so far are complete: after each section."""
        for path in sorted(p for p in self.work.rglob("*") if p.is_file()):
            name = path.relative_to(self.work).as_posix()
            if name not in self._seen and name not in UNLISTED:
                self._seen.add(name)
                self._todo.put(name)

    def files(self) -> list[FileEntry]:
        """Every file handed over, by path, once all are hashed (and zipped)."""
        self._join()
        return [self.entries[name] for name in sorted(self.entries)]

    def finish(self, *names: str) -> None:
        """Zip ``names`` (the manifest and its signature), unhashed, and close the zip."""
        self._join()
        if self.zip is not None:
            for name in names:
                self._copy(name, None)
            self.zip.close()

    def abort(self) -> None:
        """Stop after the file in hand and close the zip (the caller removes what is left)."""
        while True:  # drop what is queued
            try:
                self._todo.get_nowait()
            except queue.Empty:
                break
        self._todo.put(None)
        self._thread.join()
        if self.zip is not None:
            with contextlib.suppress(OSError, ValueError):  # already failing: the first error is raised
                self.zip.close()

    # -- the thread ----------------------------------------------------------------------

    def _join(self) -> None:
        if self._thread.is_alive():
            self._todo.put(None)
            self._thread.join()
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while (name := self._todo.get()) is not None:
            if self._error is not None:
                continue  # drain: the error is raised by the exporter's thread
            try:
                h = hashlib.sha256()
                size = self._copy(name, h.update)
                self.entries[name] = {"path": name, "sha256": h.hexdigest(), "bytes": size}
            except BaseException as exc:  # noqa: BLE001 - handed to the exporter's thread
                self._error = exc

    def _copy(self, name: str, update: Callable[[bytes], object] | None) -> int:
        """Read the file once: each chunk to ``update`` (the hash) and into the zip."""
        path = self.work / name
        size = 0
        with open(path, "rb") as src, contextlib.ExitStack() as stack:
            dest = None
            if self.zip is not None:
                big = path.stat().st_size >= _ZIP64_FROM
                dest = stack.enter_context(self.zip.open(f"{self.root}/{name}", "w", force_zip64=big))
            while chunk := src.read(_CHUNK):
                size += len(chunk)
                if update is not None:
                    update(chunk)
                if dest is not None:
                    dest.write(chunk)
        return size
