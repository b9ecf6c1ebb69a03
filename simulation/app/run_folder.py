"""What sifsim created in a run folder, so that a failed run removes only that.

Hydra creates the run folder (``hydra.run.dir``) before the task starts, and
the user may point it anywhere: at an earlier run, at ``.``. sifsim must never
remove anything it did not create in this process (issue 9). So
:class:`RunFolderGuard`, a Hydra callback that runs *before* Hydra creates the
folder, creates it itself when it does not exist yet and leaves a marker
naming this process and the directories it created. On a config problem
inside the task, :func:`discard_fresh_run_folder` removes Hydra's own files,
the marker and the directories listed in it — only if the marker is this
process's; a folder that existed before is left exactly as it was.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

MARKER = ".sifsim-created.json"
#: what Hydra itself writes into a run folder before the task starts
HYDRA_FILES = (".hydra/config.yaml", ".hydra/hydra.yaml", ".hydra/overrides.yaml")


def claim_new_folder(folder: Path) -> bool:
    """Create ``folder`` (and missing parents) and mark it as this process's; False if it existed."""
    folder = Path(folder).absolute()
    if folder.exists():
        return False
    created: list[Path] = []
    parent = folder
    while not parent.exists():
        created.append(parent)
        parent = parent.parent
    folder.mkdir(parents=True)
    (folder / MARKER).write_text(json.dumps({
        "pid": os.getpid(),
        # deepest first: the order in which they can be removed once empty
        "created_dirs": [str(p) for p in created],
    }))
    return True


def created_by_this_process(folder: Path) -> dict | None:
    """The marker's content if this process created ``folder``, else None."""
    try:
        data = json.loads((Path(folder) / MARKER).read_text())
    except (OSError, ValueError):
        return None
    return data if data.get("pid") == os.getpid() else None


def discard_fresh_run_folder(folder: Path, log_name: str = "sifsim.log") -> bool:
    """Undo a run folder this process created and nothing else wrote into; True if it is gone.

    Removes Hydra's own files, the job log, the marker, then each directory the
    marker lists, only while it is empty. A folder that existed before this
    process (no marker of ours) is left untouched.
    """
    folder = Path(folder).absolute()
    data = created_by_this_process(folder)
    if data is None:
        return False
    for name in (*HYDRA_FILES, log_name, MARKER):
        (folder / name).unlink(missing_ok=True)
    for sub in (folder / ".hydra",):
        try:
            sub.rmdir()
        except OSError:
            pass
    for d in data.get("created_dirs", []):
        try:
            Path(d).rmdir()          # only succeeds when empty: never removes what others wrote
        except OSError:
            break
    return not folder.exists()


class RunFolderGuard(Callback):
    """Hydra callback (conf/config.yaml): claim a new single-run folder before Hydra creates it."""

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        claim_new_folder(Path(str(config.hydra.run.dir)))
