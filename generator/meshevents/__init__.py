"""meshStack's event log: typed events, the export file format, and the collector (docs/events.md).

``model.py`` holds the typed events and the event log a build reads (``EventLog``), ``export.py``
the export file (written by ``meshcomply collect events``, read by the ``events`` evidence source,
``generator/sources/events.py``), ``schema.py`` the published meshStack schema and its checks,
and ``collect.py`` the HTTP collector (the only module here that touches the network; a build
never imports it).
"""
