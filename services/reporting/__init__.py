"""Reporting service: expected versus received per window, overdue detection and
daily reports for department heads and the personnel agency."""
