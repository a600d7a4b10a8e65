"""Web shell: server-rendered German UI (dms.web.ui) and the REST API (dms.web.api)."""
