"""Placeholder package; see ../shared/DESIGN.md for what lives here."""
