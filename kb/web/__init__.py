"""The HTTP edge beside Streamlit (Starlette routes mounted by ``st.App`` in app.py); never imports Streamlit."""
