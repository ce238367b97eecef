import gc
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def _frozen_count_after_wsgi_import(**env) -> int:
    code = "import gc, aihub.wsgi; print(gc.get_freeze_count())"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, env={**os.environ, **env}
    )
    assert result.returncode == 0, result.stderr
    return int(result.stdout.strip().splitlines()[-1])


def test_web_workers_freeze_their_startup_heap():
    assert _frozen_count_after_wsgi_import() > 50_000
    assert _frozen_count_after_wsgi_import(AIHUB_GC_FREEZE="false") == 0
    assert gc.isenabled()
