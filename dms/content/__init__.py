"""What a stored file is, a safe name for it, and its text for search.

Kept free of storage and database concerns so ingest, web upload and re-indexing all classify
and extract the same way; PDF parsing libraries are confined to :mod:`dms.content.pdf`.
"""
