"""Streamlit pages: each reads like the screen it draws; the logic lives in ``kb``."""
