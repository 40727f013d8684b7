"""The live dashboard (Plotly Dash on FastAPI): reads the store, never the processor's memory."""
