"""Suite-wide settings: no test reads or writes the user's own meshcomply cache."""

from __future__ import annotations

import os
import tempfile

# Set at import, before any test module runs, so helpers called at collection time see it too.
os.environ["MESHCOMPLY_CACHE"] = tempfile.mkdtemp(prefix="meshcomply-test-cache-")
