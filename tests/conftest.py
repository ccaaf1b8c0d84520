"""Suite-wide settings: no test reads or writes the user's own meshcomply cache."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

# Set at import, before any test module runs, so helpers called at collection time see it too.
_CACHE = tempfile.mkdtemp(prefix="meshcomply-test-cache-")
atexit.register(shutil.rmtree, _CACHE, True)
os.environ["MESHCOMPLY_CACHE"] = _CACHE
