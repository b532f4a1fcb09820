"""Views: plain rows and text that pages show (records, replication, plans, safe Markdown); no Streamlit."""
