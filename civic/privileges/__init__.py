"""Least privilege: the application's database role (see `store.py`)."""
