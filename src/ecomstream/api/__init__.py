"""The JSON API and the Prometheus endpoint, served beside the dashboard."""
