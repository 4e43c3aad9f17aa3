"""Aftersales workbook: every formula and grid of the dealer's aftersales reports."""

__version__ = "0.1.0"
