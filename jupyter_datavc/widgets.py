"""The live progress bar of a background job (ipywidgets), updated from the job's thread."""

from __future__ import annotations

import html
import time
from typing import Any

import ipywidgets as widgets

from . import views
from .core.jobs import Job

UPDATE_INTERVAL = 0.2


def _eta(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = int(seconds)
    return f", ETA {seconds // 60}:{seconds % 60:02d}"


class JobProgress(widgets.HBox):  # type: ignore[misc]
    """Bytes, files, rate and ETA of ``job``; turns into the result or the error when it ends."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.bar = widgets.FloatProgress(value=0.0, min=0.0, max=1.0, bar_style="info")
        self.label = widgets.HTML()
        super().__init__([self.bar, self.label])
        self._last = 0.0
        job.subscribe(self._update)

    def _update(self, job: Job) -> None:
        now = time.monotonic()
        if not job.done and now - self._last < UPDATE_INTERVAL:
            return
        self._last = now
        p = job.progress
        if job.state == "done":
            self.bar.value = 1.0
            self.bar.bar_style = "success"
            text = str(views.version_view(job.result, unchanged=bool(job.info.get("unchanged"))))
        elif job.done:
            self.bar.bar_style = "danger"
            text = f"{job.state}: {job.error}"
        else:
            self.bar.value = p.fraction
            text = (
                f"{job.description} [{job.id}]: {views.human_size(p.bytes_done)} / {views.human_size(p.bytes_total)}, "
                f"{p.files_done}/{p.files_total} files, {views.human_size(int(p.rate))}/s{_eta(p.eta)}"
            )
        self.label.value = f"<span class='datavc-job'>{html.escape(text)}</span>"
        if job.done:  # sent even when unchanged: a repeat from the waiting cell (Job.republish) must go out
            self.bar.send_state()
            self.label.send_state()

    def _repr_pretty_(self, pp: Any, cycle: bool) -> None:
        pp.text(f"<datavc job {self.job.id}: {self.job.state}>")
