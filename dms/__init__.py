"""E-file core (E-Akte): file plan, files, cases, documents, versions, audit, search."""

__version__ = "0.1.0"
